import { describe, expect, it } from 'vitest';
import { DEFAULT_HOLD_MS, holdMsFromEnv, holdTime } from './hold-time.js';

describe('the hold time', () => {
  it('is 15 minutes unless said', () => {
    expect(DEFAULT_HOLD_MS).toBe(15 * 60_000);
    expect(holdTime(undefined)).toBe(DEFAULT_HOLD_MS);
    expect(holdTime(500)).toBe(500);
    expect(holdMsFromEnv({})).toBeUndefined();
    expect(holdMsFromEnv({ HOLD_MINUTES: '' })).toBeUndefined();
  });

  it('reads HOLD_MINUTES as minutes, fractions too', () => {
    expect(holdMsFromEnv({ HOLD_MINUTES: '30' })).toBe(30 * 60_000);
    expect(holdMsFromEnv({ HOLD_MINUTES: '0.5' })).toBe(30_000);
  });

  it('refuses anything but a time above 0, naming what was wrong', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => holdTime(bad)).toThrow(`holdMs must be a whole number of milliseconds above 0; got ${bad}`);
    }
    for (const bad of ['0', '-5', 'soon', '1e3', '15m', '0.0000001']) {
      expect(() => holdMsFromEnv({ HOLD_MINUTES: bad })).toThrow(
        `HOLD_MINUTES must be a number of minutes above 0, such as 15 or 0.5; got "${bad}"`,
      );
    }
  });
});
