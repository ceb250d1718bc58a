import {
  type Committed,
  ConcurrencyConflictError,
  type ExpectedVersion,
  type GlobalPosition,
  type IdempotencyRecord,
  InvalidArgumentError,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  type StreamAppend,
  type StreamId,
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
  type EventInsert,
  type EventRow,
  eventFromRow,
  fromJson,
  recordEvent,
  toJson,
} from '@twofold/core/adapters';
import { migrate } from '../connection/migrations.js';
import { Connection, type PostgresConnectionOptions, type PostgresTx, prepared, toNumber } from '../connection/pool.js';
import { EVENTS_PER_COMMIT, eventStoreMigrations } from './schema.js';
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

  private constructor(db: Connection, base: number, upcasters: Upcasters, pollIntervalMs: number) {
    this.#db = db;
    this.#base = base;
    this.#upcasters = upcasters;
    this.#channel = `twofold_events.${db.schema}`;
    this.#notifier = new Notifier(db, this.#channel);
    this.#wakeUps = new WakeUps({
      head: () => this.head(),
      listen: () => db.client(),
      channel: this.#channel,
      pollIntervalMs,
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
    // Appends alone are one statement, atomic by itself; anything more needs a transaction around it.
    const committed =
      (unit.states ?? []).length === 0 && unit.idempotency === undefined && (unit.participants ?? []).length === 0
        ? await this.#append(appends, (text, values) =>
            this.#db.query(text, values, 'the append may or may not have been committed'),
          )
        : await this.#db.transaction((tx) => this.#write(tx, unit));
    if (committed.position !== undefined) {
      this.#wakeUps.check();
      this.#notifier.notify();
    }
    return committed;
  }

  /** Appends through twofold_append(): one round trip, whichever statement runner `run` is. */
  async #append(
    appends: readonly StreamAppend[],
    run: (text: string, values: unknown[]) => Promise<{ rows: AppendRow[] }>,
  ): Promise<Committed> {
    const versions = new Map<string, number>();
    if (appends.length === 0) return { events: [], position: undefined, versions };
    const timestamp = Date.now();
    const perStream = new Map<string, number>();
    const drafts: { readonly row: EventInsert; readonly recorded: RecordedEvent; readonly offset: number }[] = [];
    for (const { streamId, events } of appends) {
      perStream.set(streamId, perStream.get(streamId) ?? 0);
      for (const event of events) {
        const offset = (perStream.get(streamId) ?? 0) + 1;
        perStream.set(streamId, offset);
        drafts.push({ ...recordEvent(event, streamId, 0, 0, timestamp), offset });
      }
    }
    // Lock the streams in one order, so that two commits over the same streams cannot deadlock.
    const streams = [...perStream.keys()].sort();
    let rows: AppendRow[];
    try {
      ({ rows } = await run(
        `SELECT r_stream, r_stored, r_xid::text AS r_xid FROM twofold_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          this.#base,
          streams,
          streams.map((id) => perStream.get(id)!),
          appends.map((a) => a.streamId),
          appends.map((a) => encodeExpected(a.expectedVersion)),
          drafts.map((d) => d.row[2]),
          drafts.map((d) => d.offset),
          drafts.map((d) => d.row[1]),
          drafts.map((d) => d.row[4]),
          drafts.map((d) => d.row[5]),
          drafts.map((d) => d.row[6]),
          drafts.map((d) => d.row[7]),
          timestamp,
        ],
      ));
    } catch (error) {
      throw conflictFrom(error) ?? error;
    }
    const stored = new Map(rows.map((row) => [row.r_stream, row.r_stored]));
    const first = (toNumber(rows[0]!.r_xid) - this.#base) * EVENTS_PER_COMMIT;
    const events = drafts.map(({ recorded, offset }, i) => ({
      ...recorded,
      streamVersion: stored.get(recorded.streamId)! + offset,
      position: (first + i + 1) as GlobalPosition,
    }));
    for (const [streamId, count] of perStream) versions.set(streamId, stored.get(streamId)! + count);
    return { events, position: events.at(-1)?.position, versions };
  }

  async #write(tx: PostgresTx, unit: UnitOfWork<PostgresTx>): Promise<Committed> {
    const { events: recorded, versions: appended } = await this.#append(unit.appends ?? [], (text, values) =>
      tx.query<AppendRow>(prepared(text, values)),
    );
    const versions = new Map(appended);
    const timestamp = Date.now();
    for (const { collection, id, expectedVersion, state } of unit.states ?? []) {
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
      const { key, result } = unit.idempotency;
      const { rowCount } = await tx.query(
        'INSERT INTO twofold_idempotency (key, result, position, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [key, toJson(result), last ?? null, timestamp],
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
    const { rows } = await this.#db.query<{ version: number }>(
      'SELECT version FROM twofold_streams WHERE stream_id = $1',
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }

  async readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]> {
    const { rows } = await this.#db.query<RawEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM twofold_events
       WHERE position > $1 AND position + 0 < ${this.#visibleBelow()}
       ORDER BY position LIMIT $2`,
      [after, sqlLimit(limit)],
    );
    return rows.map((row) => this.#upcasters.apply(toEvent(row)));
  }

  async readLatest(limit: number): Promise<readonly RecordedEvent[]> {
    const { rows } = await this.#db.query<RawEventRow>(
      `SELECT ${EVENT_COLUMNS} FROM twofold_events WHERE position < ${this.#visibleBelow()}
       ORDER BY position DESC LIMIT $1`,
      [sqlLimit(limit)],
    );
    return rows.map((row) => this.#upcasters.apply(toEvent(row)));
  }

  /** The last position a reader can see: the log up to the oldest transaction still running. */
  async head(): Promise<GlobalPosition> {
    const { rows } = await this.#db.query<{ head: string | null }>(
      `SELECT max(position) AS head FROM twofold_events WHERE position < ${this.#visibleBelow()}`,
    );
    return (rows[0]?.head === null ? START : toNumber(rows[0]?.head)) as GlobalPosition;
  }

  /** Number of events after `after` up to and including `upTo`, for lag reports. */
  async countBetween(after: GlobalPosition, upTo: GlobalPosition): Promise<number> {
    const { rows } = await this.#db.query<{ count: string }>(
      'SELECT count(*) AS count FROM twofold_events WHERE position > $1 AND position <= $2',
      [after, upTo],
    );
    return toNumber(rows[0]?.count);
  }

  // Positions below this belong to transactions that have ended: all of their events are visible, or none.
  #visibleBelow(): string {
    return `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint - ${this.#base}) * ${EVENTS_PER_COMMIT}`;
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
    const { rows } = await this.#db.query<{ result: string | null; position: string | null }>(
      'SELECT result, position FROM twofold_idempotency WHERE key = $1',
      [key],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const result = fromJson(row.result, () => `The idempotency record ${key}`);
    return { key, result, position: (row.position === null ? undefined : toNumber(row.position)) as GlobalPosition };
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
    await this.#wakeUps.close(new Error(`PostgresStore (schema ${this.#db.schema}) closed`));
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

interface AppendRow {
  readonly r_stream: string;
  readonly r_stored: number;
  readonly r_xid: string;
}

function encodeExpected(expected: ExpectedVersion): number {
  return expected === 'any' ? -1 : expected === 'no-stream' ? -2 : expected;
}

// twofold_append() reports a failed expected version as TF409: the stream, its version, and what was expected.
function conflictFrom(error: unknown): ConcurrencyConflictError | undefined {
  const failure = error as { code?: unknown; message?: string; detail?: string; hint?: string };
  if (failure?.code !== 'TF409') return undefined;
  const expected = Number(failure.hint);
  return new ConcurrencyConflictError(
    `Stream ${failure.message}`,
    expected === -1 ? 'any' : expected === -2 ? 'no-stream' : expected,
    Number(failure.detail),
  );
}

function sqlLimit(limit: number): number | null {
  checkLimit(limit);
  return limit === Number.POSITIVE_INFINITY ? null : limit;
}
