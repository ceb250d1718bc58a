import { createHash } from 'node:crypto';
import {
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
  UnavailableError,
  type UnitOfWork,
  type Upcaster,
  Upcasters,
  type WriteStore,
} from '@twofold/core';
import {
  checkExpectedVersion,
  checkLimit,
  checkNewEvents,
  EVENT_COLUMNS,
  type EventRow,
  eventFromRow,
  fromJson,
  recordEvent,
  toJson,
  versionMatches,
} from '@twofold/core/adapters';
import { migrate } from '../connection/migrations.js';
import { Connection, type PostgresConnectionOptions, type PostgresTx, prepared, toNumber } from '../connection/pool.js';
import { EVENTS_PER_COMMIT, eventStoreMigrations } from './schema.js';
import { heldBy, lockWriters, visibleBelow, type WriterKey, writerKey } from './visibility.js';
import { WakeUps } from './wake-ups.js';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /** Turn old versions of event types into new ones as they are read. */
  readonly upcasters?: readonly Upcaster[];
  /**
   * How often a waiting reader looks for new events when no notification came (another node's NOTIFY was
   * lost, or a long transaction held the log back). Default: 250 ms.
   */
  readonly pollIntervalMs?: number;
}

/** An idempotency record as stored; `command_type` and `fingerprint` are null in rows from before migration 4. */
interface IdempotencyRow {
  readonly command_type: string | null;
  readonly fingerprint: string | null;
  readonly result: string | null;
  readonly position: string | null;
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
 * @example
 * const store = await PostgresStore.open({ connection: process.env.DATABASE_URL! });
 * const models = writeModels({ store });
 * // …
 * await store.close();
 */
export class PostgresStore implements WriteStore<PostgresTx> {
  readonly #db: Connection;
  readonly #upcasters: Upcasters;
  readonly #base: number;
  readonly #wakeUps: WakeUps;
  readonly #channel: string;
  readonly #notifier: Notifier;
  readonly #writers: WriterKey;
  readonly #visibleBelow: string;
  readonly #append: string;
  readonly #heldBy: string;

  private constructor(db: Connection, base: number, upcasters: Upcasters, pollIntervalMs: number) {
    this.#db = db;
    this.#base = base;
    this.#upcasters = upcasters;
    this.#writers = writerKey(db.schema);
    this.#visibleBelow = visibleBelow(base, this.#writers);
    this.#append = appendStatement(this.#writers);
    this.#heldBy = heldBy(base, this.#writers);
    // A channel name has at most 63 bytes: one per schema, from a hash of its name.
    this.#channel = `twofold_events_${createHash('sha256').update(db.schema).digest('hex').slice(0, 32)}`;
    this.#notifier = new Notifier(db, this.#channel);
    this.#wakeUps = new WakeUps({
      head: () => this.head(),
      listen: () => db.client(),
      channel: this.#channel,
      pollIntervalMs,
      closed: () => new UnavailableError(`PostgresStore (schema ${db.schema}) is closed`),
    });
  }

  /** Connects, creates or migrates the schema, and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const pollIntervalMs = options.pollIntervalMs ?? 250;
    if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1) {
      throw new InvalidArgumentError('PostgresStore: options.pollIntervalMs must be an integer >= 1');
    }
    const upcasters = new Upcasters(options.upcasters);
    const db = new Connection(options, 'PostgresStore');
    try {
      await migrate(db, 'event-store', eventStoreMigrations);
      const { rows } = await db.query<{ value: string }>("SELECT value FROM twofold_meta WHERE key = 'xid_base'");
      return new PostgresStore(db, toNumber(rows[0]?.value), upcasters, pollIntervalMs);
    } catch (error) {
      await db.end();
      throw error;
    }
  }

  /** The schema the store's tables are in. */
  get schema(): string {
    return this.#db.schema;
  }

  async commit(unit: UnitOfWork<PostgresTx>): Promise<Committed> {
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
            (tx) => this.#write(tx, unit),
            // Readers must know an appender before it has a transaction id (see visibility.ts).
            count > 0 ? `SELECT ${lockWriters(this.#writers)}` : undefined,
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
      this.#notifier.notify();
    }
    return committed;
  }

  // A lone append with 'any' that loses a race for the next version to a concurrent one tries again.
  async #appendAlone(append: StreamAppend): Promise<Committed> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#appendEvents([append], (text, values) =>
          this.#db.query(text, values, 'the append may or may not have been committed'),
        );
      } catch (error) {
        if (append.expectedVersion !== 'any' || !(error instanceof StreamMoved) || attempt >= 20) {
          throw error;
        }
      }
    }
  }

  /**
   * Writes the events of `appends`, one statement per stream, in stream order (so that two commits over the same
   * streams wait for each other rather than deadlock). Each event's position is its place in the commit, after the
   * transaction's id. The stream versions come from the events themselves: the unique index on (stream, version)
   * refuses a second writer of the same version, and an expected version above zero must exist.
   */
  async #appendEvents(
    appends: readonly StreamAppend[],
    run: (text: string, values: unknown[]) => Promise<{ rows: unknown[]; rowCount: number | null }>,
    savepoint?: (sql: string) => Promise<unknown>,
  ): Promise<Committed> {
    const versions = new Map<string, number>();
    const timestamp = Date.now();
    const byStream = new Map<string, { expected: ExpectedVersion[]; drafts: Draft[] }>();
    let ordinal = 0;
    for (const { streamId, expectedVersion, events } of appends) {
      let stream = byStream.get(streamId);
      if (stream === undefined) {
        stream = { expected: [], drafts: [] };
        byStream.set(streamId, stream);
      }
      stream.expected.push(expectedVersion);
      for (const event of events) {
        stream.drafts.push({ ...recordEvent(event, streamId, 0, 0, timestamp), ordinal: ++ordinal });
      }
    }
    const recorded: RecordedEvent[] = [];
    for (const streamId of [...byStream.keys()].sort()) {
      const { expected, drafts } = byStream.get(streamId)!;
      // Every append of a stream in one commit is checked against the stream as it was before the commit.
      const exact = [...new Set(expected.map((e) => (e === 'no-stream' ? 0 : e)).filter((e) => e !== 'any'))];
      if (exact.length > 1 || drafts.length === 0) {
        const { rows } = await run(STREAM_VERSION, [streamId]);
        const actual = (rows[0] as { version: number }).version;
        for (const e of expected) {
          if (!versionMatches(e, actual)) throw new ConcurrencyConflictError(`Stream ${streamId}`, e, actual);
        }
        versions.set(streamId, actual);
        continue;
      }
      const want = exact[0] ?? -1;
      const values = [
        this.#base,
        streamId,
        timestamp,
        want,
        drafts.map((d) => d.ordinal),
        drafts.map((d) => d.row.id),
        drafts.map((d) => d.row.type),
        drafts.map((d) => d.row.schema_version),
        drafts.map((d) => d.row.data),
        drafts.map((d) => d.row.metadata),
      ];
      let result: { rows: unknown[]; rowCount: number | null } | undefined;
      // Inside a transaction, an append with 'any' that loses the race for the next version goes back to a
      // savepoint and reads the stream's end again; a lone append is retried whole by #appendAlone.
      const retry = want === -1 && savepoint !== undefined;
      for (let attempt = 1; result === undefined; attempt++) {
        if (retry) await savepoint('SAVEPOINT twofold_append');
        try {
          result = await run(this.#append, values);
          if (retry) await savepoint('RELEASE SAVEPOINT twofold_append');
        } catch (error) {
          if (!isStreamVersionTaken(error)) throw error;
          if (!retry || attempt >= 20) throw new StreamMoved(streamId, expected);
          await savepoint('ROLLBACK TO SAVEPOINT twofold_append');
        }
      }
      const rows = result.rows as { xid: string; stream_version: number }[];
      if (rows.length === 0) throw new StreamMoved(streamId, expected);
      const first = (toNumber(rows[0]!.xid) - this.#base) * EVENTS_PER_COMMIT;
      const at = Math.min(...rows.map((row) => row.stream_version)) - 1;
      drafts.forEach((draft, i) => {
        recorded.push({
          ...draft.recorded,
          streamVersion: at + i + 1,
          position: (first + draft.ordinal) as GlobalPosition,
        });
      });
      versions.set(streamId, at + drafts.length);
    }
    recorded.sort((a, b) => a.position - b.position);
    return { events: recorded, position: recorded.at(-1)?.position, versions };
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

  async #write(tx: PostgresTx, unit: UnitOfWork<PostgresTx>): Promise<Committed> {
    const { events: recorded, versions: appended } = await this.#appendEvents(
      unit.appends ?? [],
      (text, values) => tx.query(prepared(text, values)),
      (sql) => tx.query(sql),
    );
    const versions = new Map(appended);
    const timestamp = Date.now();
    // In one order, like the streams, so that two commits over the same states wait for each other, not deadlock.
    const states = [...(unit.states ?? [])].sort((a, b) =>
      a.collection === b.collection ? compare(a.id, b.id) : compare(a.collection, b.collection),
    );
    for (const { collection, id, expectedVersion, state } of states) {
      const json = toJson(state);
      const { rowCount } =
        expectedVersion === 0
          ? await tx.query(
              'INSERT INTO twofold_states (collection, id, version, state) VALUES ($1, $2, 1, $3) ON CONFLICT DO NOTHING',
              [collection, id, json],
            )
          : await tx.query(
              'UPDATE twofold_states SET version = version + 1, state = $4 WHERE collection = $1 AND id = $2 AND version = $3',
              [collection, id, expectedVersion, json],
            );
      if (rowCount !== 1) {
        const { rows: found } = await tx.query<{ version: number }>(
          'SELECT version FROM twofold_states WHERE collection = $1 AND id = $2',
          [collection, id],
        );
        throw new ConcurrencyConflictError(`State ${collection}/${id}`, expectedVersion, found[0]?.version ?? 0);
      }
      versions.set(`${collection}/${id}`, expectedVersion + 1);
    }
    const last = recorded.at(-1)?.position;
    if (unit.idempotency !== undefined) {
      const { key, commandType, fingerprint, result } = unit.idempotency;
      const { rowCount } = await tx.query(
        `INSERT INTO twofold_idempotency (key, command_type, fingerprint, result, position, at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
        [key, commandType, fingerprint, toJson(result), last ?? null, timestamp],
      );
      if (rowCount !== 1) throw new ConcurrencyConflictError(`Idempotency key ${key}`, 'unused', 1);
    }
    let index = 0;
    for (const participant of unit.participants ?? []) {
      index++;
      try {
        await participant(tx, recorded);
      } catch (error) {
        if (error instanceof Error) error.message = `Unit-of-work participant #${index}: ${error.message}`;
        throw error;
      }
    }
    return { events: recorded, position: last, versions };
  }

  append(
    streamId: StreamId,
    events: readonly NewEvent[],
    options: { readonly expectedVersion?: ExpectedVersion } = {},
  ): Promise<Committed> {
    return this.commit({ appends: [{ streamId, events, expectedVersion: options.expectedVersion ?? 'any' }] });
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

  async load(
    collection: string,
    id: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined> {
    const { rows } = await this.#db.query<{ version: number; state: string | null }>(
      'SELECT version, state FROM twofold_states WHERE collection = $1 AND id = $2',
      [collection, id],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return { state: fromJson(row.state, () => `The state ${collection}/${id}`), version: row.version };
  }

  async find(key: string): Promise<IdempotencyRecord | undefined> {
    const { rows } = await this.#db.query<IdempotencyRow>(
      'SELECT command_type, fingerprint, result, position FROM twofold_idempotency WHERE key = $1',
      [key],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      key,
      commandType: row.command_type ?? undefined,
      fingerprint: row.fingerprint ?? undefined,
      result: fromJson(row.result, () => `The idempotency record ${key}`),
      position: (row.position === null ? undefined : toNumber(row.position)) as GlobalPosition,
    };
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

  async loadSnapshot(
    streamId: StreamId,
    name: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined> {
    const { rows } = await this.#db.query<{ version: number; state: string | null }>(
      'SELECT version, state FROM twofold_snapshots WHERE name = $1 AND stream_id = $2',
      [name, streamId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return { state: fromJson(row.state, () => `The ${name} snapshot of stream ${streamId}`), version: row.version };
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

  /** Stops listening, rejects readers still waiting, and closes the pool (when the store made it). Idempotent. */
  async close(): Promise<void> {
    await this.#wakeUps.close();
    await this.#db.end();
  }
}

const NOTIFY_GAP_MS = 2;

/**
 * Tells the other nodes that there are new events, after the commit rather than inside it: a transaction that
 * notifies holds a database-wide lock from its NOTIFY until its commit is flushed, which would line every commit
 * up behind the one before. Commits that come while a notification is on its way share the next one, sent at
 * least NOTIFY_GAP_MS after it. A lost notification costs a reader one poll interval, never an event.
 */
class Notifier {
  readonly #db: Connection;
  readonly #channel: string;
  #sending = false;
  #again = false;

  constructor(db: Connection, channel: string) {
    this.#db = db;
    this.#channel = channel;
  }

  notify(): void {
    if (this.#sending) {
      this.#again = true;
      return;
    }
    this.#sending = true;
    this.#db
      .query('SELECT pg_notify($1, $2)', [this.#channel, ''])
      .catch(() => {})
      .finally(() => {
        if (!this.#again) {
          this.#sending = false;
          return;
        }
        // Under load, one notification per NOTIFY_GAP_MS carries every commit made meanwhile.
        setTimeout(() => {
          this.#sending = false;
          this.#again = false;
          this.notify();
        }, NOTIFY_GAP_MS).unref();
      });
  }
}

interface Draft {
  readonly row: EventRow;
  readonly recorded: RecordedEvent;
  /** The event's place in its commit, from 1: the low part of its position. */
  readonly ordinal: number;
}

// One stream's events of a commit. $4 is the expected version: -1 for any (the stream's last version is read),
// 0 for a new stream, N for exactly N (which must exist; N + 1 must not, which the unique index checks). The CASE
// takes the appenders' lock before the transaction id is asked for (a lone append has no statement before it).
const appendStatement = (
  writers: WriterKey,
) => `INSERT INTO twofold_events (position, id, stream_id, stream_version, type, schema_version, data, metadata, timestamp)
  SELECT (CASE WHEN ${lockWriters(writers)} IS NOT NULL THEN pg_current_xact_id() END::text::bigint - $1)
           * ${EVENTS_PER_COMMIT} + e.ord, e.id, $2, v.at + e.n, e.type, e.sv, e.data, e.md, $3
    FROM (SELECT CASE WHEN $4::integer >= 0 THEN $4::integer
                      ELSE (SELECT coalesce(max(stream_version), 0) FROM twofold_events WHERE stream_id = $2) END AS at) v,
         unnest($5::integer[], $6::text[], $7::text[], $8::integer[], $9::text[], $10::text[])
           WITH ORDINALITY AS e(ord, id, type, sv, data, md, n)
   WHERE $4::integer <= 0 OR EXISTS (SELECT 1 FROM twofold_events WHERE stream_id = $2 AND stream_version = $4::integer)
  RETURNING pg_current_xact_id()::text AS xid, stream_version`;

const STREAM_VERSION = 'SELECT coalesce(max(stream_version), 0) AS version FROM twofold_events WHERE stream_id = $1';

/** A stream was not where an append expected it; commit() turns it into a ConcurrencyConflictError. */
class StreamMoved extends Error {
  readonly streamId: string;
  readonly expected: readonly ExpectedVersion[];

  constructor(streamId: string, expected: readonly ExpectedVersion[]) {
    super(`Stream ${streamId} is not at the version the append expected`);
    this.streamId = streamId;
    this.expected = expected;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// A deadlock or a serialization failure: trying the command again is safe.
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '40P01' || code === '40001';
}

// A unique violation on (stream_id, stream_version): another commit wrote that version of the stream first.
function isStreamVersionTaken(error: unknown): boolean {
  const failure = error as { code?: unknown; constraint?: unknown };
  return failure?.code === '23505' && failure.constraint === 'twofold_events_stream_id_stream_version_key';
}

function sqlLimit(limit: number): number | null {
  checkLimit(limit);
  return limit === Number.POSITIVE_INFINITY ? null : limit;
}
