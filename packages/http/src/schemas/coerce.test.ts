import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { coerceQueryString } from './coerce.js';
import { toJsonSchema } from './json-schema.js';

const schemaOf = (schema: z.ZodType) => toJsonSchema(schema, 'input').schema;

describe('coerceQueryString', () => {
  const Params = z.object({
    n: z.number().optional(),
    i: z.int().optional(),
    b: z.boolean().optional(),
    s: z.string().optional(),
    list: z.array(z.int()).optional(),
    maybe: z.number().nullable().optional(),
    nested: z.object({ a: z.number() }).optional(),
    choice: z.enum(['x', 'y']).optional(),
    level: z.literal(3).optional(),
  });
  const json = schemaOf(Params);

  it('coerces numbers, integers, booleans, null, arrays and nested JSON by the schema', () => {
    expect(
      coerceQueryString(
        { n: '1.5', i: '-2', b: 'true', s: '007', list: ['1', '2'], maybe: 'null', nested: '{"a":1}', level: '3' },
        json,
      ),
    ).toEqual({ n: 1.5, i: -2, b: true, s: '007', list: [1, 2], maybe: null, nested: { a: 1 }, level: 3 });
  });

  it('makes a single value into a one-item array', () => {
    expect(coerceQueryString({ list: '4' }, json)).toEqual({ list: [4] });
  });

  it('leaves what does not look like its type alone, for the schema to report', () => {
    const values = { n: 'abc', i: '0x10', b: 'yes', nested: '{', maybe: 'nil', n2: '5' };
    expect(coerceQueryString(values, json)).toEqual(values);
    expect(Params.safeParse(coerceQueryString({ n: 'abc' }, json)).success).toBe(false);
  });

  it('leaves every value a string when there is no schema to go by', () => {
    expect(coerceQueryString({ a: '1', b: ['true'] }, {})).toEqual({ a: '1', b: ['true'] });
  });

  it('follows local $refs', () => {
    const schema = {
      type: 'object',
      properties: { when: { $ref: '#/$defs/Count' } },
      $defs: { Count: { type: 'integer' } },
    };
    expect(coerceQueryString({ when: '12' }, schema)).toEqual({ when: 12 });
  });

  it('cannot reach a prototype through __proto__', () => {
    const out = coerceQueryString(JSON.parse('{"__proto__": "x"}'), json);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('round-trips flat parameters through their string form (property)', () => {
    const Flat = z.object({
      n: z.number(),
      i: z.int(),
      b: z.boolean(),
      s: z.string(),
      list: z.array(z.number()),
    });
    const flat = schemaOf(Flat);
    fc.assert(
      fc.property(
        fc.record({
          n: fc.double({ noNaN: true, noDefaultInfinity: true }),
          i: fc.maxSafeInteger(),
          b: fc.boolean(),
          s: fc.string(),
          list: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1 }),
        }),
        (params) => {
          const strings = {
            n: String(params.n),
            i: String(params.i),
            b: String(params.b),
            s: params.s,
            list: params.list.map(String),
          };
          // A URL cannot tell -0 from 0.
          const zeroed = { ...params, n: params.n + 0, list: params.list.map((x) => x + 0) };
          expect(Flat.parse(coerceQueryString(strings, flat))).toEqual(zeroed);
        },
      ),
    );
  });
});
