import { InvalidArgumentError } from '../errors/errors.js';

/**
 * A hash of a command's payload (SHA-256 of its canonical JSON, hex), stored with its idempotency record so that a
 * different command under the same key can be told from a repeat. Objects with the same entries in another order
 * hash the same.
 *
 * @example
 * (await payloadFingerprint({ a: 1, b: 2 })) === (await payloadFingerprint({ b: 2, a: 1 })) // true
 */
export async function payloadFingerprint(payload: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(payload));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

type Work = string | { readonly value: unknown } | { readonly leave: object };

/**
 * JSON as `JSON.stringify` writes it, with object keys sorted; a bigint is written as its digits and an `n`, which
 * no JSON value can be mistaken for. Iterative rather than recursive, so that no nesting depth can overflow the
 * stack; a cycle is an error.
 *
 * @example
 * canonicalJson({ b: [1, undefined], a: new Date(0) }) // '{"a":"1970-01-01T00:00:00.000Z","b":[1,null]}'
 */
export function canonicalJson(value: unknown): string {
  let out = '';
  const ancestors = new Set<object>();
  const work: Work[] = [{ value: jsonValue(value, '') ?? null }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    if (typeof item === 'string') {
      out += item;
      continue;
    }
    if ('leave' in item) {
      ancestors.delete(item.leave);
      continue;
    }
    const current = item.value;
    if (typeof current !== 'object' || current === null) {
      out += scalar(current);
      continue;
    }
    if (ancestors.has(current)) throw new InvalidArgumentError('A command payload refers to itself: it has no JSON');
    ancestors.add(current);
    work.push({ leave: current });
    if (Array.isArray(current)) {
      work.push(']');
      for (let i = current.length - 1; i >= 0; i--) {
        work.push({ value: jsonValue(current[i], String(i)) ?? null });
        if (i > 0) work.push(',');
      }
      work.push('[');
      continue;
    }
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(current).sort()) {
      const child = jsonValue((current as Record<string, unknown>)[key], key);
      if (child !== undefined) entries.push([key, child]);
    }
    work.push('}');
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      work.push({ value: child });
      work.push(`${JSON.stringify(key)}:`);
      if (i > 0) work.push(',');
    }
    work.push('{');
  }
  return out;
}

// What JSON.stringify would write for a value: its toJSON(), boxed primitives unboxed, and undefined for what it
// leaves out (undefined, functions, symbols).
function jsonValue(value: unknown, key: string): unknown {
  let current = value;
  if (typeof current === 'object' && current !== null) {
    const toJSON = (current as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') current = toJSON.call(current, key);
  }
  if (current instanceof Number || current instanceof String || current instanceof Boolean) {
    current = current.valueOf();
  }
  return typeof current === 'function' || typeof current === 'symbol' ? undefined : current;
}

function scalar(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `${value}n`;
    default:
      return 'null';
  }
}
