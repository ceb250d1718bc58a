// Values for the fuzz: valid ones generated from a JSON Schema (with identifiers the server has answered with,
// so that requests reach the write models), and hostile ones: NUL, lone surrogates, huge strings, unicode,
// deep nesting, numbers JSON.stringify cannot write.
import fc from 'fast-check';
import { addDays } from '../../examples/hotel/src/domain/dates.js';
import type { JsonSchema } from './openapi.js';
import type { Random } from './random.js';

/** JSON text put into a body as it is: `1e400`, `-0`, nesting deeper than any recursive serializer goes. */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** The strings the server has answered with, by property name: room ids, booking ids, guest ids. */
export class Vocabulary {
  readonly #words = new Map<string, string[]>();

  /** Takes every string property of an answer's JSON. */
  learn(value: unknown, depth = 0): void {
    if (depth > 8 || value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string' && item.length <= 64) {
        const words = this.#words.get(key) ?? [];
        if (!words.includes(item)) words.push(item);
        if (words.length > 40) words.shift();
        this.#words.set(key, words);
      } else this.learn(item, depth + 1);
    }
  }

  words(name: string): readonly string[] {
    return this.#words.get(name) ?? [];
  }
}

export interface Generating {
  readonly random: Random;
  readonly vocabulary: Vocabulary;
  /** The server's today, for `format: date`. */
  readonly today: string;
}

const deep = (depth: number, open: string, close: string, inner = '1') =>
  new RawJson(open.repeat(depth) + inner + close.repeat(depth));

/** Strings no field should have to hold, or that a careless server mishandles. */
export const HOSTILE_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ude00x',
  '\ud83d\ude00',
  '\u202eevil',
  '\ufeff',
  '\u2028\u2029',
  '\u0085',
  '\u007f',
  'A\u0301',
  'İ',
  '𝓱𝓸𝓽𝓮𝓵',
  '🏨'.repeat(40),
  ' ',
  '\t\r\n',
  "' OR 1=1 --",
  '"; DROP TABLE twofold_events; --',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '%00',
  '\\u0000',
  '{{constructor.constructor("return process")().exit()}}',
  '<script>alert(1)</script>',
  '9'.repeat(400),
  'x'.repeat(65),
  'é'.repeat(501),
  'x'.repeat(10_000),
  '\u0000'.repeat(2_000),
  'x'.repeat(70_000),
];

/** Values of the wrong kind, or numbers at the edges. */
const HOSTILE_OTHERS: readonly unknown[] = [
  new RawJson('1e400'),
  new RawJson('-1e400'),
  new RawJson('-0'),
  new RawJson('123456789012345678901234567890'),
  new RawJson('1.0e-400'),
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  5e-324,
  -1,
  0,
  0.30000000000000004,
  null,
  true,
  [],
  {},
  ['a', 'b'],
  { $gt: '' },
  deep(200, '[', ']'),
  deep(5_000, '[', ']'),
  deep(5_000, '{"a":', '}'),
  deep(20_000, '[', ']'),
];

/** A hostile value: a string from {@link HOSTILE_STRINGS}, or a value of the wrong kind. */
export function hostileValue({ random }: Generating): unknown {
  return random.next() < 0.6 ? random.pick(HOSTILE_STRINGS) : random.pick(HOSTILE_OTHERS);
}

/** A value `schema` accepts (as far as it says; refinements it cannot say, like `to` after `from`, may fail). */
export function validValue(schema: JsonSchema, g: Generating, name = ''): unknown {
  const { random } = g;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined && schema.enum.length > 0) return random.pick(schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices !== undefined && choices.length > 0) return validValue(random.pick(choices), g, name);
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.length === 0 ? (schema.properties === undefined ? 'string' : 'object') : random.pick(types);
  switch (type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      const required = new Set(schema.required ?? []);
      for (const [key, property] of Object.entries(schema.properties ?? {})) {
        if (required.has(key) || random.next() < 0.5) value[key] = validValue(property, g, key);
      }
      return value;
    }
    case 'array':
      return Array.from({ length: random.int(0, 3) }, () => validValue(schema.items ?? {}, g, name));
    case 'integer':
    case 'number': {
      const low = schema.minimum ?? (schema.exclusiveMinimum === undefined ? -1000 : schema.exclusiveMinimum + 1);
      const high = Math.min(
        schema.maximum ?? 1000,
        (schema.exclusiveMaximum ?? Number.POSITIVE_INFINITY) - 1,
        low + 1000,
      );
      const n = random.int(Math.ceil(low), Math.floor(Math.max(low, high)));
      return type === 'number' && random.next() < 0.3 ? n + 0.5 : n;
    }
    case 'boolean':
      return random.next() < 0.5;
    case 'null':
      return null;
    default:
      return validString(schema, g, name);
  }
}

function validString(schema: JsonSchema, g: Generating, name: string): string {
  const { random, vocabulary, today } = g;
  if (schema.format === 'date') return addDays(today, random.int(-3, 45));
  if (schema.examples !== undefined && schema.examples.length > 0 && random.next() < 0.5) {
    return String(random.pick(schema.examples));
  }
  const known = vocabulary.words(name);
  if (known.length > 0 && random.next() < 0.8) return random.pick(known);
  if (schema.pattern !== undefined) {
    const [sample] = fc.sample(fc.stringMatching(new RegExp(schema.pattern)), {
      numRuns: 1,
      seed: random.int(0, 2 ** 30),
    });
    if (sample !== undefined) return sample;
  }
  const min = schema.minLength ?? 0;
  const max = Math.max(min, Math.min(schema.maxLength ?? 24, 24));
  const word = `fuzz-${random.int(0, 99)}`;
  if (word.length >= min && word.length <= max && random.next() < 0.5) return word;
  return Array.from({ length: random.int(min, max) }, () => String.fromCharCode(random.int(0x20, 0x7e))).join('');
}

/** A valid object of `schema` spoiled in one way: a hostile field, a required field missing, an odd key added. */
export function spoiled(schema: JsonSchema, g: Generating): unknown {
  const { random } = g;
  const value = validValue(schema, g);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return hostileValue(g);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(schema.properties ?? {});
  const way = random.int(0, 9);
  if (way < 6 && keys.length > 0) return { ...record, [random.pick(keys)]: hostileValue(g) };
  if (way < 7 && (schema.required ?? []).length > 0) {
    const { [random.pick(schema.required ?? [])]: _dropped, ...rest } = record;
    return rest;
  }
  if (way < 9) {
    const key = random.pick(['__proto__', 'constructor', 'prototype', '', '\u0000', 'x'.repeat(1000), 'extra']);
    return { ...record, [key]: random.next() < 0.5 ? { polluted: true } : hostileValue(g) };
  }
  return hostileValue(g);
}

/** JSON text for a value holding {@link RawJson} parts; own `__proto__` keys are written like any other. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A value as a query-string parameter, percent-encoded byte by byte: lone surrogates as the bytes WTF-8 gives them. */
export function queryText(value: unknown): string {
  const text = typeof value === 'string' ? value : value instanceof RawJson ? value.text : jsonText(value);
  let encoded = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const char = pair ? text.slice(i, i + 2) : text[i]!;
    if (pair) i++;
    if (/^[A-Za-z0-9\-_.~]$/.test(char)) encoded += char;
    else if (code >= 0xd800 && code <= 0xdfff && !pair) {
      encoded += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else encoded += encodeURIComponent(char);
  }
  return encoded;
}
