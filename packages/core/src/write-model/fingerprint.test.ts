import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import { canonicalJson, payloadFingerprint } from './fingerprint.js';

// A plain recursive reference: JSON.stringify for the leaves, keys sorted by hand (JavaScript objects would put
// integer-like keys first).
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

describe('canonicalJson', () => {
  it('writes what JSON.stringify writes, with object keys sorted', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
    );
    const value = { b: [1, undefined, () => 1, Number.NaN], a: new Date(0), c: undefined, d: new String('x') };
    expect(canonicalJson(value)).toBe('{"a":"1970-01-01T00:00:00.000Z","b":[1,null,null,null],"d":"x"}');
  });

  it('does not overflow the stack on a payload nested 100,000 levels deep', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { a: deep };
    const json = canonicalJson(deep);
    expect(json.length).toBe(1 + 100_000 * 2 + 50_000 * 4);
  });

  it('refuses a payload that refers to itself', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { again: cyclic };
    let error: unknown;
    try {
      canonicalJson(cyclic);
    } catch (caught) {
      error = caught;
    }
    expect(isTwofoldError(error, 'INVALID_ARGUMENT')).toBe(true);
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('tells a bigint from the string and the number with the same digits', () => {
    expect(new Set([canonicalJson(5n), canonicalJson('5n'), canonicalJson(5)]).size).toBe(3);
  });
});

describe('payloadFingerprint', () => {
  it('is the same for the same entries in any order, and differs for another payload', async () => {
    const a = await payloadFingerprint({ bookingId: 'b1', nights: { from: 1, to: 2 } });
    expect(await payloadFingerprint({ nights: { to: 2, from: 1 }, bookingId: 'b1' })).toBe(a);
    expect(await payloadFingerprint({ bookingId: 'b2', nights: { from: 1, to: 2 } })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});
