import type { Step } from '../../protocol/run.js';
import type { IdempotencyWrite } from '../ports.js';
import type { NewEvent, RecordedEvent, StreamId } from '../records.js';

/** Where a new event goes: its stream, its version in it, its global position, and the commit's time. */
export interface EventPlace {
  readonly streamId: StreamId;
  readonly streamVersion: number;
  readonly position: number;
  readonly timestamp: number;
}

/** A state written by a commit, at its new version. */
export interface StateRecord {
  readonly collection: string;
  readonly id: string;
  readonly version: number;
  readonly state: unknown;
}

/** The idempotency record a commit writes, with the position of its last event and its time. */
export interface IdempotencyEntry extends IdempotencyWrite {
  readonly position: number | undefined;
  readonly at: number;
}

/**
 * What the check-everything-then-write commit needs from a write store whose writers take turns (one
 * transaction at a time: SQLite, memory), so that positions follow the head with no gap. Every call runs inside
 * the commit's transaction `tx`.
 */
export interface CommitDialect<Tx> {
  /** The version of a stream's last event; 0 when the stream does not exist. */
  streamVersion(tx: Tx, streamId: StreamId): Step<number>;
  /** The version of a state; 0 when it does not exist. */
  stateVersion(tx: Tx, collection: string, id: string): Step<number>;
  /** Whether an idempotency record with `key` exists. */
  idempotencyUsed(tx: Tx, key: string): Step<boolean>;
  /** The position of the last event in the log (0 when empty). */
  head(tx: Tx): Step<number>;
  /** Writes one event at `place` and gives it back as recorded (as later reads give it). */
  insertEvent(tx: Tx, event: NewEvent, place: EventPlace): Step<RecordedEvent>;
  /** Writes a state at its new version (inserting or replacing it). */
  saveState(tx: Tx, record: StateRecord): Step<void>;
  /** Writes the idempotency record. */
  saveIdempotency(tx: Tx, entry: IdempotencyEntry): Step<void>;
}
