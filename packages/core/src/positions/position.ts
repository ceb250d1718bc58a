import { InvalidArgumentError } from '../errors/errors.js';

/**
 * The place of an event in the whole store's order: monotonic, and compared across streams.
 * Branded so that it cannot be mixed up with a stream version. Commands report the position of their
 * last event, and a query given that position can wait until its read models have passed it.
 */
export type GlobalPosition = number & { readonly __brand: 'GlobalPosition' };

/** The position before the first event: a reader starting here reads everything. */
export const START: GlobalPosition = 0 as GlobalPosition;

/**
 * Checks and brands a position (a safe integer >= 0), e.g. one parsed from an HTTP header.
 *
 * @example
 * const after = globalPosition(Number(request.headers['twofold-after']));
 */
export function globalPosition(value: number): GlobalPosition {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`A global position must be a safe integer >= 0; got ${String(value)}`);
  }
  return value as GlobalPosition;
}
