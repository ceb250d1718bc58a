import type { GlobalPosition } from '../positions/position.js';
import type { ExpectedVersion, NewEvent, RecordedEvent, StreamId } from './records.js';

/** The event log as a projection runner reads it: everything, in global order, in batches. */
export interface EventFeed {
  /** Up to `limit` events with a position greater than `after`, in order. */
  readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]>;
  /** Resolves once an event after `after` exists (at once if one does); rejects when `signal` aborts. */
  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void>;
  /** The position of the last event in the log (START when empty). */
  head(): Promise<GlobalPosition>;
  /**
   * The highest position the log may have handed out so far: no committed event, visible to readers yet or not,
   * is above it. Equal to `head()` where positions are assigned in commit order (in memory, SQLite); above it on
   * PostgreSQL, where a committed event may still be hidden behind an older transaction. With it, a wait for a
   * position above the ceiling fails at once (POSITION_AHEAD_OF_LOG) instead of timing out.
   */
  ceiling?(): Promise<GlobalPosition>;
  /**
   * Number of events after `after` up to and including `upTo`, for lag and progress reports. Only needed when
   * positions have gaps (PostgreSQL); without it, the difference of the two positions is the count.
   */
  countBetween?(after: GlobalPosition, upTo: GlobalPosition): Promise<number>;
  /**
   * The unfinished write that keeps committed events after it from readers, if one does now. Only for stores whose
   * readers wait for slower writers (PostgreSQL); lag reports show it as `heldBy`.
   */
  heldBy?(): Promise<HeldBy | undefined>;
}

/**
 * A write still in progress that holds readers back: the events committed after it stay out of `readAll` and
 * `head` until it ends.
 *
 * @example
 * const held = await store.heldBy?.();
 * if (held) console.warn(`readers wait for transaction ${held.xid} (server process ${held.pid})`);
 */
export interface HeldBy {
  /** The database server process of the writing session. */
  readonly pid: number;
  /** The writing transaction's id. */
  readonly xid: number;
  /** When the writing transaction began, in ms since the epoch. */
  readonly since: number;
}

/**
 * Where a runner that reads the log in the background is, as lag reports show it: subscribers' and process
 * managers' statuses are ones.
 *
 * @example
 * const { position, head, lagEvents } = await runner.status();
 */
export interface FeedLag {
  readonly name: string;
  /** False before `start()` and after `stop()`. */
  readonly running: boolean;
  /** The last position handled (the checkpoint). */
  readonly position: GlobalPosition;
  /** The last position in the log. */
  readonly head: GlobalPosition;
  /** Events in the log not yet handled. */
  readonly lagEvents: number;
  /** Set while a write in progress keeps newer events from every reader (PostgreSQL): which one, since when. */
  readonly heldBy?: HeldBy | undefined;
}

/** Number of events in `feed` after `after` up to `upTo`; see {@link EventFeed.countBetween}. */
export function eventsBetween(feed: EventFeed, after: GlobalPosition, upTo: GlobalPosition): Promise<number> | number {
  if (upTo <= after) return 0;
  return feed.countBetween?.(after, upTo) ?? upTo - after;
}

/** Options of {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  /** Forward: from this version up (default 1). Backward: from this version down (default: the last). */
  readonly from?: number;
  /** Default: 'forward'. */
  readonly direction?: 'forward' | 'backward';
  /** At most this many events. Default: all. */
  readonly limit?: number;
}

/** One stream's part of a commit. */
export interface StreamAppend {
  readonly streamId: StreamId;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent[];
}

/** One state-stored aggregate's part of a commit: its new state, if it is still at `expectedVersion` (0 = new). */
export interface StateWrite {
  readonly collection: string;
  readonly id: string;
  readonly expectedVersion: number;
  readonly state: unknown;
}

/**
 * The result a command produced, kept so that a repeat of the same command returns it without running again, and
 * what that command was, so that a different command under the same key is refused rather than answered with it.
 */
export interface IdempotencyRecord {
  readonly key: string;
  /** The command's type; undefined for a record stored before stores kept it. */
  readonly commandType: string | undefined;
  /** A hash of the command's payload; undefined for a record stored before stores kept it. */
  readonly fingerprint: string | undefined;
  readonly result: unknown;
  readonly position: GlobalPosition | undefined;
}

/** The idempotency record a unit of work stores with its commit. */
export interface IdempotencyWrite {
  readonly key: string;
  readonly commandType: string;
  readonly fingerprint: string;
  readonly result: unknown;
}

/**
 * A part of a commit that writes more in its transaction (an inline projection, outbox rows). It is called inside
 * the transaction after the events are written, with the adapter's transaction handle and the recorded events.
 * Its `before`, when it has one, is called first, before anything is written, with the events the commit is
 * about to append: a participant that makes commits take turns takes the turn there, so that a commit waiting for
 * it holds nothing others wait for (on PostgreSQL, a transaction id, which holds back what every reader may see).
 * SQLite runs both synchronously: they must not await.
 *
 * @example
 * const audit: Participant<PostgresClient> = async (tx, events) => {
 *   await tx.query('INSERT INTO audit (position) SELECT unnest($1::bigint[])', [events.map((e) => e.position)]);
 * };
 */
export interface Participant<Tx> {
  (tx: Tx, events: readonly RecordedEvent[]): void | Promise<void>;
  /** Called first in the commit's transaction, before anything is written, with the events about to be appended. */
  readonly before?: ((tx: Tx, events: readonly NewEvent[]) => void | Promise<void>) | undefined;
}

/**
 * Everything one command writes, committed in one transaction: events, states, the idempotency record, and
 * `participants` that write more in the same transaction (inline projections, outbox rows). Either all of it
 * is stored, or none.
 */
export interface UnitOfWork<Tx = unknown> {
  readonly appends?: readonly StreamAppend[];
  readonly states?: readonly StateWrite[];
  readonly idempotency?: IdempotencyWrite;
  /** Called inside the transaction after the events are written (see {@link Participant}), in this order. */
  readonly participants?: readonly Participant<Tx>[];
}

/** What a commit stored. */
export interface Committed {
  /** Every event appended, as recorded. */
  readonly events: readonly RecordedEvent[];
  /** The position of the last event appended (undefined when the commit appended none). */
  readonly position: GlobalPosition | undefined;
  /** The new version of each stream and state written, by stream id or `collection/id`. */
  readonly versions: ReadonlyMap<string, number>;
}

/** Options of {@link EventStore.append}. */
export interface AppendOptions {
  /** The version the stream must be at for the append to go through (default `'any'`). */
  readonly expectedVersion?: ExpectedVersion;
}

/**
 * The event store: streams of events, each event also in one global order. Also an {@link EventFeed} for
 * projections and subscribers.
 *
 * @example
 * await store.append(streamId('booking', id), [{ type: 'hotel.RoomBooked', data }], { expectedVersion: 'no-stream' });
 * const events = await store.readStream(streamId('booking', id));
 */
export interface EventStore extends EventFeed {
  /** Appends to one stream; fails with CONCURRENCY_CONFLICT when the stream is not at `expectedVersion`. */
  append(streamId: StreamId, events: readonly NewEvent[], options?: AppendOptions): Promise<Committed>;
  /** One stream's events in version order (or reversed, `direction: 'backward'`), upcast; empty when it does not exist. */
  readStream(streamId: StreamId, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  /** The version of a stream's last event; 0 when the stream does not exist. */
  streamVersion(streamId: StreamId): Promise<number>;
  /** Up to `limit` events of every stream with a position greater than `after`, in global order. */
  readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]>;
  /**
   * The last `limit` events of the whole log, or of the part before position `before`, newest first: for event
   * browsers and admin pages, which page back by passing the position of the last event they got.
   */
  readLatest(limit: number, before?: GlobalPosition): Promise<readonly RecordedEvent[]>;
}

/** The state store of state-stored aggregates: one JSON document per aggregate, with a version. */
export interface StateStore {
  /** The aggregate's state and version, or undefined when it was never saved. */
  load(collection: string, id: string): Promise<{ readonly state: unknown; readonly version: number } | undefined>;
}

/** Stored command results, by idempotency key. */
export interface IdempotencyStore {
  /** The record stored under an idempotency key, or undefined when no command used it (or it was pruned). */
  find(key: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Deletes up to `limit` records stored before `before` (milliseconds since the epoch), oldest first, and says
   * how many it deleted. The write models call it now and then to keep the records of their retention only.
   */
  pruneIdempotency(before: number, limit: number): Promise<number>;
}

/** Snapshots of event-sourced aggregates, to load long streams without folding every event. */
export interface SnapshotStore {
  /** The snapshot a write model (`name`) saved for a stream, or undefined when it has none. */
  loadSnapshot(
    streamId: StreamId,
    name: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined>;
  /** Best effort, outside the command's transaction: a missing snapshot only costs a longer load. */
  saveSnapshot(
    streamId: StreamId,
    name: string,
    snapshot: { readonly state: unknown; readonly version: number },
  ): Promise<void>;
}

/**
 * A complete write store: what the write models need. `@twofold/core` has an in-memory one; `@twofold/sqlite`
 * and `@twofold/postgres` are the durable ones.
 */
export interface WriteStore<Tx = unknown> extends EventStore, StateStore, IdempotencyStore, SnapshotStore {
  /** Commits a unit of work in one transaction; see {@link UnitOfWork}. */
  commit(unit: UnitOfWork<Tx>): Promise<Committed>;
}
