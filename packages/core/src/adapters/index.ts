/**
 * For authors of storage adapters: the checks and rules the in-memory stores apply, so that every adapter rejects
 * the same malformed calls and matches documents the same way, the asynchronous document API over a synchronous
 * store's collections (`promisedCollection`, `promisedWritable`), the row mapping the SQL adapters share, and the
 * protocols they share, each written once and driven by a small dialect of the database: the migrations
 * (`migrate`), the versioned read-model slots (`commitSlot`, `applyInline`, `activateSlot`), the
 * check-everything-then-write commit (`commitUnit`), the command queue (`DialectCommandQueue`, `enqueueIn`) and the
 * outbox (`DialectOutbox`). A
 * protocol is a generator: `runSync` drives it on a synchronous driver, `runAsync` on an asynchronous one.
 * Transports compare a repeated command's payload with `payloadFingerprint`, as the idempotency records do.
 *
 * @example
 * import { checkExpectedVersion, checkNewEvents, versionMatches } from '@twofold/core/adapters';
 */

export { LocalWakeUps } from '../command-queue/local-wake-ups.js';
export type {
  ClaimedCommandRow,
  CommandQueueDialect,
  HeldCommand,
  NewCommandRow,
  QueueWakeUps,
} from '../command-queue/queue-dialect.js';
export {
  claimCommands,
  DialectCommandQueue,
  type Enqueued,
  enqueueIn,
} from '../command-queue/queue-protocol.js';
export { QUEUED_COMMAND_COLUMNS, type QueuedCommandRow } from '../command-queue/rows.js';
export type { SettledElsewhere } from '../command-queue/settled.js';
export { WakeSignal } from '../command-queue/wake-signal.js';
export { checkDeadLetterList } from '../dead-letters/order.js';
export { describeError } from '../errors/errors.js';
export { appendUnit } from '../event-store/commit/append-unit.js';
export type { CommitDialect, EventPlace, IdempotencyEntry, StateRecord } from '../event-store/commit/commit-dialect.js';
export { commitUnit } from '../event-store/commit/commit-unit.js';
export {
  checkExpectedVersion,
  checkLimit,
  checkNewEvents,
  versionMatches,
} from '../event-store/records.js';
export type { InboxDialect } from '../inbox/inbox-dialect.js';
export { checkInboxEntry, checkPruneBefore, receiveOnce } from '../inbox/receive.js';
export { type Migration, type MigrationDialect, migrate } from '../migrations/migrate.js';
export { checkOutboxMessage } from '../outbox/checks.js';
export { DialectOutbox, type NewOutboxRow, type OutboxDialect, type OutboxRow } from '../outbox/dialect-outbox.js';
export { Waiters } from '../positions/waiters.js';
export type { SlotData, SlotDialect } from '../projection-slots/slot-dialect.js';
export {
  activateSlot,
  applyInline,
  commitSlot,
  openSlot,
  type SlotBatch,
  type SlotReadStore,
  type SlotStorage,
} from '../projection-slots/slot-protocol.js';
export {
  checkOrderField,
  compareOrderValues,
  cut,
  type DocumentQuery,
  documentIndex,
  documentQuery,
  type OrderPosition,
  orderValue,
  pageInMemory,
} from '../projections/document-query.js';
export {
  matches,
  promisedCollection,
  promisedWritable,
  type SyncDocumentCollection,
} from '../projections/documents.js';
export {
  callback,
  type Protocol,
  type RefusePromise,
  runAsync,
  runSync,
  type Step,
} from '../protocol/run.js';
export { compareText } from '../runtime/text-order.js';
export { payloadFingerprint } from '../write-model/fingerprint.js';
export {
  type DeadLetterRow,
  deadLetterFromRow,
  EVENT_COLUMNS,
  type EventRow,
  eventFromRow,
  fromJson,
  type ProjectionRef,
  projectionName,
  recordEvent,
  toJson,
} from './rows.js';
export {
  type IdempotencyRow,
  idempotencyFromRow,
  snapshotFromRow,
  stateFromRow,
  type Versioned,
  type VersionedRow,
} from './state-rows.js';
