import { InvalidArgumentError } from '../errors/errors.js';
import { assertStorable } from '../messages/storable-text.js';
import type { GlobalPosition } from '../positions/position.js';

/**
 * Identifies one stream of events, usually one aggregate: `booking-42`. Branded so that it is not mixed up with
 * other strings; make one with {@link streamId}.
 */
export type StreamId = string & { readonly __brand: 'StreamId' };

/**
 * Makes a stream id from a category and an id, or checks a whole id.
 *
 * @example
 * streamId('booking', bookingId) // 'booking-7f3…'
 */
export function streamId(categoryOrId: string, id?: string | number): StreamId {
  const value = id === undefined ? categoryOrId : `${categoryOrId}-${id}`;
  if (typeof value !== 'string' || value.length === 0 || value.length > 500) {
    throw new InvalidArgumentError(
      `A stream id must be a non-empty string of at most 500 characters; got ${JSON.stringify(value)}`,
    );
  }
  return value as StreamId;
}

/** An event to append: its type, data, and optional metadata. The store gives it an id, a version and a position. */
export interface NewEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Supplied by the caller to make a retried append recognisable; a UUID otherwise. */
  readonly id?: string;
  /** The event type's schema version (`defineEvent(..., { version })`). Default: 1. */
  readonly schemaVersion?: number;
}

/** An event as stored: in its stream at `streamVersion`, in the whole log at `position`. */
export interface RecordedEvent<T extends string = string, D = unknown> {
  readonly id: string;
  readonly type: T;
  readonly data: D;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly streamId: StreamId;
  /** 1 for the first event of a stream. */
  readonly streamVersion: number;
  readonly position: GlobalPosition;
  /** Milliseconds since the epoch, when it was appended. */
  readonly timestamp: number;
  readonly schemaVersion: number;
}

/**
 * What an append expects of its stream: `'any'`, `'no-stream'` (it must not exist yet), or the exact version of
 * its last event (0 for an empty stream). A mismatch fails with CONCURRENCY_CONFLICT.
 */
export type ExpectedVersion = 'any' | 'no-stream' | number;

/**
 * Throws INVALID_ARGUMENT, naming `where`, unless `expected` is `'any'`, `'no-stream'` or an integer >= 0. For
 * adapters, before they touch the database.
 *
 * @example
 * checkExpectedVersion(append.expectedVersion, `append to ${append.streamId}`);
 */
export function checkExpectedVersion(expected: unknown, where: string): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream') return;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0) {
    throw new InvalidArgumentError(
      `${where}: expectedVersion must be 'any', 'no-stream' or an integer >= 0; got ${JSON.stringify(expected)}`,
    );
  }
}

/**
 * Throws INVALID_ARGUMENT, naming `where` and the index, unless `events` is an array of events with a non-empty
 * string type, a valid `schemaVersion` if any, and only strings every store can hold. For adapters, before they
 * touch the database.
 *
 * @example
 * checkNewEvents(append.events, `append to ${append.streamId}`);
 */
export function checkNewEvents(events: unknown, where: string): asserts events is readonly NewEvent[] {
  if (!Array.isArray(events)) throw new InvalidArgumentError(`${where}: events must be an array`);
  events.forEach((event: Partial<NewEvent> | null, index) => {
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidArgumentError(`${where}: events[${index}] must have a non-empty string type`);
    }
    if (event.schemaVersion !== undefined && (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1)) {
      throw new InvalidArgumentError(`${where}: events[${index}].schemaVersion must be an integer >= 1`);
    }
    // Checked here, before any store is handed the event: a string PostgreSQL cannot hold would otherwise be
    // committed on SQLite and stop every projection that reads it on PostgreSQL.
    assertStorable(
      { type: event.type, id: event.id, data: event.data, metadata: event.metadata },
      event.type,
      `event (${where}, events[${index}])`,
    );
  });
}

/** True when a stream at `actual` (0 = missing) satisfies `expected`. */
export function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return actual === 0;
  return expected === actual;
}

/** Checks a read limit: an integer >= 1, or Infinity for no limit. */
export function checkLimit(limit: number): void {
  if (limit !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new InvalidArgumentError(`limit must be an integer >= 1; got ${String(limit)}`);
  }
}
