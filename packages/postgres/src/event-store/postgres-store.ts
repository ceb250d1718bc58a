import {
  type AppendOptions,
  type Committed,
  ConcurrencyConflictError,
  type ExpectedVersion,
  type GlobalPosition,
  type HeldBy,
  type IdempotencyRecord,
  InvalidArgumentError,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  type StreamAppend,
  type StreamId,
  TwofoldError,
  type UnitOfWork,
  type Upcasters,
  type WriteStore,
} from '@twofold/core';
import {
  appendUnit,
  checkExpectedVersion,
  checkLimit,
  checkNewEvents,
  EVENT_COLUMNS,
  type EventRow,
  eventFromRow,
  type IdempotencyRow,
  idempotencyFromRow,
  snapshotFromRow,
  stateFromRow,
  toJson,
  type Versioned,
  type VersionedRow,
  versionMatches,
} from '@twofold/core/adapters';
import { type PostgresClient, type SchemaPool, toNumber } from '../connection/schema-pool.js';
import { appendEvents, appendStatement, STREAM_VERSION, StreamMoved } from './append.js';
import { Notifier } from './notifier.js';
import { EVENTS_PER_COMMIT } from './schema.js';
import { writeUnitOfWork } from './unit-of-work.js';
import { heldBy, lockWriters, visibleBelow, writerKey } from './visibility.js';
import type { WakeUps } from './wake-ups.js';

/** What an event store needs from the database handle that makes it. */
export interface EventStoreSetup {
  /** The transaction id base of the schema (`twofold_meta.xid_base`): positions count from it. */
  readonly base: number;
  readonly upcasters: Upcasters;
  /** The schema's NOTIFY channel. */
  readonly channel: string;
  /** The handle's readers waiting for events, woken by LISTEN on the handle's one listening client. */
  readonly wakeUps: WakeUps;
}

type RawEventRow = Omit<EventRow, 'position' | 'timestamp'> & { position: string; timestamp: string };

const toEvent = (row: RawEventRow): RecordedEvent =>
  eventFromRow({ ...row, position: toNumber(row.position), timestamp: toNumber(row.timestamp) });

/**
 * The shared write store on PostgreSQL: event streams, aggregate states, idempotency records and snapshots, for
 * several application nodes at once. A commit is one transaction; its participants (inline projections, outbox
 * rows) get the transaction's client and may await.
 *
 * Global positions follow the order of the writing transactions (see the package README): they increase, have
 * gaps, and a reader never passes over a transaction that commits later, however the commits interleave.
 * Readers waiting for events wake on LISTEN/NOTIFY, with polling as the fallback.
 *
 * It is the `events` of a database handle:
 *
 * @example
 * const db = await postgres({ connection: process.env.DATABASE_URL! });
 * const models = writeModels({ store: db.events });
 * // …
 * await db.close();
 */
export class PostgresStore implements WriteStore<PostgresClient> {
  readonly #db: SchemaPool;
  readonly #upcasters: Upcasters;
  readonly #base: number;
  readonly #wakeUps: WakeUps;
  readonly #notifier: Notifier;
  readonly #visibleBelow: string;
  readonly #append: string;
  readonly #heldBy: string;
  readonly #lockWriters: string;

  /** The store on a database handle's pool; the handle reads `base` from `twofold_meta` once migrated. */
  constructor(db: SchemaPool, options: EventStoreSetup) {
    this.#db = db;
    this.#base = options.base;
    this.#upcasters = options.upcasters;
    const writers = writerKey(db.schema);
    this.#visibleBelow = visibleBelow(options.base, writers);
    this.#append = appendStatement(writers);
    this.#lockWriters = `SELECT ${lockWriters(writers)}`;
    this.#heldBy = heldBy(options.base, writers);
    this.#notifier = new Notifier(db, options.channel);
    this.#wakeUps = options.wakeUps;
  }

  /** The schema the store's tables are in. */
  get schema(): string {
    return this.#db.schema;
  }

  async commit(unit: UnitOfWork<PostgresClient>): Promise<Committed> {
    const appends = unit.appends ?? [];
    let count = 0;
    for (const append of appends) {
      checkExpectedVersion(append.expectedVersion, `append to ${append.streamId}`);
      checkNewEvents(append.events, `append to ${append.streamId}`);
      count += append.events.length;
    }
    if (count >= EVENTS_PER_COMMIT) {
      throw new InvalidArgumentError(
        `A commit can append at most ${EVENTS_PER_COMMIT - 1} events; this one has ${count}: split it`,
      );
    }
    // One append alone is one statement, atomic by itself; anything more needs a transaction around it.
    const alone =
      appends.length === 1 &&
      (unit.states ?? []).length === 0 &&
      unit.idempotency === undefined &&
      (unit.participants ?? []).length === 0;
    let committed: Committed;
    try {
      committed = alone
        ? await this.#appendAlone(appends[0]!)
        : await this.#db.transaction(
            (tx) => writeUnitOfWork(tx, unit, { base: this.#base, statement: this.#append }),
            // Readers must know an appender before it has a transaction id (see visibility.ts).
            count > 0 ? this.#lockWriters : undefined,
          );
    } catch (error) {
      // Read the stream's version for the message only now that the transaction's connection is back in the pool:
      // commits waiting for a connection to say so could otherwise take every connection and wait forever.
      if (error instanceof StreamMoved) throw await this.#conflict(error.streamId, error.expected);
      // Participants lock rows of their own (read models, outbox); PostgreSQL ends a deadlock by failing one side.
      if (isRetryable(error)) {
        throw new TwofoldError(
          'CONCURRENCY_CONFLICT',
          `The commit collided with another one: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    if (committed.position !== undefined) {
      this.#wakeUps.check();
      this.#notifier.notify(committed.position);
    }
    return committed;
  }

  // A lone append with 'any' that loses a race for the next version to a concurrent one tries again.
  async #appendAlone(append: StreamAppend): Promise<Committed> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { events, versions } = await appendEvents([append], {
          base: this.#base,
          statement: this.#append,
          run: (text, values) => this.#db.query(text, values, 'the append may or may not have been committed'),
        });
        return { events, position: events.at(-1)?.position, versions };
      } catch (error) {
        if (append.expectedVersion !== 'any' || !(error instanceof StreamMoved) || attempt >= 20) {
          throw error;
        }
      }
    }
  }

  // The conflict error for a stream that was not where an append expected it; its version is read apart.
  async #conflict(streamId: string, expected: readonly ExpectedVersion[]): Promise<ConcurrencyConflictError> {
    const actual = await this.streamVersion(streamId as StreamId).catch(() => Number.NaN);
    return new ConcurrencyConflictError(
      `Stream ${streamId}`,
      expected.find((e) => !versionMatches(e, actual)) ?? expected[0]!,
      actual,
    );
  }

  append(streamId: StreamId, events: readonly NewEvent[], options?: AppendOptions): Promise<Committed> {
    return this.commit(appendUnit(streamId, events, options));
  }

  async readStream(streamId: StreamId, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const { direction = 'forward', limit = Number.POSITIVE_INFINITY } = options;
    const forward = direction === 'forward';
    const { rows } = await this.#db.query<RawEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM twofold_events
       WHERE stream_id = $1 AND stream_version ${forward ? '>=' : '<='} $2
       ORDER BY stream_version ${forward ? '' : 'DESC'} LIMIT $3`,
      [streamId, options.from ?? (forward ? 1 : 2_147_483_647), sqlLimit(limit)],
    );
    return rows.map((row) => this.#upcasters.apply(toEvent(row)));
  }

  async streamVersion(streamId: StreamId): Promise<number> {
    const { rows } = await this.#db.query<{ version: number }>(STREAM_VERSION, [streamId]);
    return rows[0]?.version ?? 0;
  }

  async readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]> {
    const { rows } = await this.#db.query<RawEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM twofold_events
       WHERE position > $1 AND position + 0 < ${this.#visibleBelow}
       ORDER BY position LIMIT $2`,
      [after, sqlLimit(limit)],
    );
    return rows.map((row) => this.#upcasters.apply(toEvent(row)));
  }

  async readLatest(limit: number, before?: GlobalPosition): Promise<readonly RecordedEvent[]> {
    const { rows } = await this.#db.query<RawEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM twofold_events WHERE position < ${this.#visibleBelow} AND position < $2
       ORDER BY position DESC LIMIT $1`,
      [sqlLimit(limit), before ?? Number.MAX_SAFE_INTEGER],
    );
    return rows.map((row) => this.#upcasters.apply(toEvent(row)));
  }

  /** The last position a reader can see: the log up to the oldest of this store's appends still running. */
  async head(): Promise<GlobalPosition> {
    const { rows } = await this.#db.query<{ head: string | null }>(
      `SELECT max(position) AS head FROM twofold_events WHERE position < ${this.#visibleBelow}`,
    );
    return (rows[0]?.head === null ? START : toNumber(rows[0]?.head)) as GlobalPosition;
  }

  /**
   * The highest position a transaction begun so far can have written, committed or not: every transaction id
   * below the snapshot's xmax has been handed out, none at or above it. A read-your-writes token above it was
   * never handed out by this log.
   */
  async ceiling(): Promise<GlobalPosition> {
    const { rows } = await this.#db.query<{ ceiling: string }>(
      `SELECT (pg_snapshot_xmax(pg_current_snapshot())::text::bigint - ${this.#base}) * ${EVENTS_PER_COMMIT} - 1 AS ceiling`,
    );
    return toNumber(rows[0]?.ceiling) as GlobalPosition;
  }

  /** Number of events after `after` up to and including `upTo`, for lag reports. */
  async countBetween(after: GlobalPosition, upTo: GlobalPosition): Promise<number> {
    const { rows } = await this.#db.query<{ count: string }>(
      'SELECT count(*) AS count FROM twofold_events WHERE position > $1 AND position <= $2',
      [after, upTo],
    );
    return toNumber(rows[0]?.count);
  }

  /**
   * The oldest of this store's appending transactions still running while events committed after it wait: its
   * server process, transaction id and start. Readers see nothing from its position on until it ends.
   */
  async heldBy(): Promise<HeldBy | undefined> {
    const { rows } = await this.#db.query<{ pid: number; xid: string; since: string | null }>(this.#heldBy);
    const row = rows[0];
    return row === undefined ? undefined : { pid: row.pid, xid: toNumber(row.xid), since: toNumber(row.since) };
  }

  /** Resolves once the log holds an event after `after`; wakes on NOTIFY, and polls as a fallback. */
  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    return this.#wakeUps.wait(after, signal);
  }

  async load(collection: string, id: string): Promise<Versioned | undefined> {
    const { rows } = await this.#db.query<VersionedRow>(
      'SELECT version, state FROM twofold_states WHERE collection = $1 AND id = $2',
      [collection, id],
    );
    return stateFromRow(rows[0], collection, id);
  }

  async find(key: string): Promise<IdempotencyRecord | undefined> {
    const { rows } = await this.#db.query<IdempotencyRow>(
      'SELECT command_type, fingerprint, result, position FROM twofold_idempotency WHERE key = $1',
      [key],
    );
    const row = rows[0];
    // A bigint position comes as text: checked to be exact before core reads it.
    return idempotencyFromRow(key, row && { ...row, position: row.position === null ? null : toNumber(row.position) });
  }

  async pruneIdempotency(before: number, limit: number): Promise<number> {
    checkLimit(limit);
    // Oldest first, through the index on `at`; rows another node is deleting at the same time are skipped.
    const { rowCount } = await this.#db.query(
      `DELETE FROM twofold_idempotency WHERE key IN (
         SELECT key FROM twofold_idempotency WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED
       )`,
      [Math.floor(before), limit === Number.POSITIVE_INFINITY ? null : limit],
    );
    return rowCount ?? 0;
  }

  async loadSnapshot(streamId: StreamId, name: string): Promise<Versioned | undefined> {
    const { rows } = await this.#db.query<VersionedRow>(
      'SELECT version, state FROM twofold_snapshots WHERE name = $1 AND stream_id = $2',
      [name, streamId],
    );
    return snapshotFromRow(rows[0], name, streamId);
  }

  async saveSnapshot(
    streamId: StreamId,
    name: string,
    snapshot: { readonly state: unknown; readonly version: number },
  ): Promise<void> {
    await this.#db.query(
      `INSERT INTO twofold_snapshots (name, stream_id, version, state) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name, stream_id) DO UPDATE SET version = excluded.version, state = excluded.state`,
      [name, streamId, snapshot.version, toJson(snapshot.state)],
    );
  }
}

// A deadlock or a serialization failure: trying the command again is safe.
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}

function sqlLimit(limit: number): number | null {
  checkLimit(limit);
  return limit === Number.POSITIVE_INFINITY ? null : limit;
}
