import { type ExpectedVersion, InvalidArgumentError, type NewEvent } from '@twofold/core';

// The same argument checks as the in-memory store, so that both reject the same malformed calls.

export function checkExpectedVersion(expected: unknown, where: string): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream') return;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0) {
    throw new InvalidArgumentError(
      `${where}: expectedVersion must be 'any', 'no-stream' or an integer >= 0; got ${JSON.stringify(expected)}`,
    );
  }
}

export function checkNewEvents(events: unknown, where: string): asserts events is readonly NewEvent[] {
  if (!Array.isArray(events)) throw new InvalidArgumentError(`${where}: events must be an array`);
  events.forEach((event: Partial<NewEvent> | null, index) => {
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidArgumentError(`${where}: events[${index}] must have a non-empty string type`);
    }
    if (event.schemaVersion !== undefined && (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1)) {
      throw new InvalidArgumentError(`${where}: events[${index}].schemaVersion must be an integer >= 1`);
    }
  });
}

export function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return actual === 0;
  return expected === actual;
}

/** A row limit for SQL: -1 (no limit) for Infinity. */
export function sqlLimit(limit: number): number {
  if (limit === Number.POSITIVE_INFINITY) return -1;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError(`limit must be an integer >= 1; got ${String(limit)}`);
  }
  return limit;
}
