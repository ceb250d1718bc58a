/**
 * For authors of storage adapters: the checks and rules the in-memory stores apply, so that every adapter rejects
 * the same malformed calls and matches documents the same way, and the row mapping the SQL adapters share.
 *
 * @example
 * import { checkExpectedVersion, checkNewEvents, versionMatches } from '@twofold/core/adapters';
 */
export {
  checkExpectedVersion,
  checkLimit,
  checkNewEvents,
  versionMatches,
} from '../event-store/records.js';
export { checkOutboxMessage } from '../outbox/checks.js';
export { Waiters } from '../positions/waiters.js';
export { matches } from '../projections/documents.js';
export {
  type DeadLetterRow,
  deadLetterFromRow,
  EVENT_COLUMNS,
  type EventInsert,
  type EventRow,
  eventFromRow,
  fromJson,
  type ProjectionRef,
  projectionName,
  recordEvent,
  toJson,
} from './rows.js';
