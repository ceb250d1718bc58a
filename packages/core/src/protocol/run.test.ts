import { describe, expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import { callback, type Protocol, runAsync, runSync } from './run.js';

function* sum(values: readonly unknown[], log: string[]): Protocol<number> {
  let total = 0;
  try {
    for (const value of values) total += yield value;
    return total;
  } finally {
    log.push('finally');
  }
}

function* withCallback(result: unknown): Protocol<string> {
  const value: unknown = yield callback(result, 'Handler #1');
  return `done with ${String(value)}`;
}

describe('runSync', () => {
  it('drives a protocol to its end with the value of every step', () => {
    const log: string[] = [];
    expect(runSync(sum([1, 2, 3], log))).toBe(6);
    expect(log).toEqual(['finally']);
  });

  it('refuses a promise from a callback, naming it, and lets the protocol clean up', () => {
    const log: string[] = [];
    function* protocol(): Protocol<void> {
      try {
        yield callback(Promise.reject(new Error('late')), 'Handler #1');
      } finally {
        log.push('finally');
      }
    }
    let error: unknown;
    try {
      runSync(protocol());
    } catch (e) {
      error = e;
    }
    expect(isTwofoldError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(error)).toMatch(/Handler #1 returned a promise/);
    expect(log).toEqual(['finally']);
    expect(() =>
      runSync(withCallback(Promise.resolve(1)), (_, what) => {
        throw new Error(`${what}: no`);
      }),
    ).toThrow('Handler #1: no');
  });

  it('passes a callback value that is no promise through, and fails on a promise from a dialect', () => {
    expect(runSync(withCallback(7))).toBe('done with 7');
    expect(() => runSync(sum([1, Promise.resolve(2)], []))).toThrow(/synchronous dialect returned a promise/);
  });
});

describe('runAsync', () => {
  it('awaits the steps that are promises, callbacks too', async () => {
    const log: string[] = [];
    expect(await runAsync(sum([1, Promise.resolve(2), 3], log))).toBe(6);
    expect(log).toEqual(['finally']);
    expect(await runAsync(withCallback(Promise.resolve('it')))).toBe('done with it');
  });

  it('throws a rejected step into the protocol, which sees it where it waited', async () => {
    function* protocol(): Protocol<string> {
      try {
        yield Promise.reject(new Error('gone'));
        return 'not reached';
      } catch (error) {
        return `caught ${(error as Error).message}`;
      }
    }
    expect(await runAsync(protocol())).toBe('caught gone');
    const log: string[] = [];
    await expect(runAsync(sum([Promise.reject(new Error('broken'))], log))).rejects.toThrow('broken');
    expect(log).toEqual(['finally']);
  });
});
