import { MAX_WAIT_SECONDS } from '@twofold/core/wire';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { preferencesOf } from './prefer.js';

const of = (prefer: string | string[] | undefined) =>
  preferencesOf({ headers: prefer === undefined ? {} : { prefer } } as unknown as FastifyRequest);

describe('preferencesOf', () => {
  it('reads respond-async and wait, in any case, among other preferences and parameters', () => {
    expect(of('respond-async')).toEqual({ respondAsync: true, wait: undefined });
    expect(of('Respond-Async; foo=bar, WAIT=7, handling=lenient')).toEqual({ respondAsync: true, wait: 7 });
    expect(of(['return=minimal', 'wait="3"'])).toEqual({ respondAsync: false, wait: 3 });
  });

  it('takes the first wait, and cuts a longer one to the maximum', () => {
    expect(of('wait=2, wait=9')).toEqual({ respondAsync: false, wait: 2 });
    expect(of('wait=999999999999')).toEqual({ respondAsync: false, wait: MAX_WAIT_SECONDS });
  });

  it('ignores what it cannot read', () => {
    for (const prefer of [
      undefined,
      '',
      ',,,',
      'wait',
      'wait=',
      'wait=-1',
      'wait=1.5',
      'wait=1e3',
      'respond-async=yes',
    ]) {
      expect(of(prefer)).toEqual({ respondAsync: false, wait: undefined });
    }
  });
});
