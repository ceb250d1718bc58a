/** How long a booking is held for its guest to confirm it, unless the hotel is told otherwise: 15 minutes. */
export const DEFAULT_HOLD_MS = 15 * 60_000;

/**
 * The hold time given to the hotel (`holdMs`), checked: a whole number of milliseconds above 0, or the default.
 *
 * @example
 * holdTime(undefined); // 900000
 * holdTime(0); // throws: holdMs must be a whole number of milliseconds above 0; got 0
 */
export function holdTime(holdMs: number | undefined): number {
  if (holdMs === undefined) return DEFAULT_HOLD_MS;
  if (!Number.isSafeInteger(holdMs) || holdMs < 1) {
    throw new Error(`holdMs must be a whole number of milliseconds above 0; got ${String(holdMs)}`);
  }
  return holdMs;
}

/**
 * The hold time from the environment: `HOLD_MINUTES`, a number of minutes above 0 (`0.5` is 30 s), or undefined
 * when it is not set. Anything else stops the start with an error that names it.
 *
 * @example
 * holdMsFromEnv({ HOLD_MINUTES: '30' }); // 1800000
 */
export function holdMsFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = env.HOLD_MINUTES;
  if (text === undefined || text === '') return undefined;
  const minutes = Number(text);
  const ms = Math.round(minutes * 60_000);
  if (!/^\s*[0-9.]+\s*$/.test(text) || !Number.isFinite(minutes) || ms < 1 || !Number.isSafeInteger(ms)) {
    throw new Error(`HOLD_MINUTES must be a number of minutes above 0, such as 15 or 0.5; got "${text}"`);
  }
  return ms;
}
