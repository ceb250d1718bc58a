import { toJsonSchema as valibotToJsonSchema } from '@valibot/to-json-schema';
import { type } from 'arktype';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type JsonSchemaConverter, toJsonSchema } from './json-schema.js';

describe('toJsonSchema', () => {
  it('uses Standard JSON Schema where the schema implements it (zod, arktype)', () => {
    expect(toJsonSchema(z.object({ n: z.int() }), 'input')).toEqual({
      schema: {
        type: 'object',
        properties: { n: { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 } },
        required: ['n'],
      },
    });
    expect(toJsonSchema(type({ name: 'string' }), 'output').schema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string' } },
    });
  });

  it('tells input from output', () => {
    const schema = z.object({ n: z.number().default(1) });
    expect(toJsonSchema(schema, 'input').schema.required).toBeUndefined();
    expect(toJsonSchema(schema, 'output').schema.required).toEqual(['n']);
  });

  it('falls back to a library converter for schemas that do not (valibot)', () => {
    const convert: JsonSchemaConverter = (schema) =>
      schema['~standard'].vendor === 'valibot' ? valibotToJsonSchema(schema as never) : undefined;
    const schema = v.object({ roomId: v.string() });
    expect(toJsonSchema(schema, 'input', convert).schema).toMatchObject({
      type: 'object',
      properties: { roomId: { type: 'string' } },
    });
  });

  it('yields {} and a note, never an exception, for what cannot be converted', () => {
    const none = toJsonSchema(v.object({ a: v.string() }), 'input');
    expect(none.schema).toEqual({});
    expect(none.note).toMatch(/valibot schema does not implement Standard JSON Schema/);
    const transformed = toJsonSchema(
      z.string().transform((s) => s.length),
      'output',
    );
    expect(transformed.schema).toEqual({});
    expect(transformed.note).toMatch(/cannot be expressed in JSON Schema/);
    const broken = toJsonSchema(v.string(), 'input', () => {
      throw new Error('boom');
    });
    expect(broken).toEqual({ schema: {}, note: 'No JSON Schema: the JSON Schema converter failed (boom)' });
  });
});
