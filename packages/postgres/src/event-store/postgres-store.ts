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
  versionMatches,
} from '@twofold/core/adapters';
import { migrate } from '../connection/migrations.js';
import { Connection, type PostgresConnectionOptions, type PostgresTx, toNumber } from '../connection/pool.js';
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

// Columns of the bulk insert, one array parameter each, in the order of EVENT_COLUMNS.
const INSERT_EVENTS = `INSERT INTO twofold_events (${EVENT_COLUMNS})
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::integer[], $7::text[], $8::text[], $9::bigint[])`;

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

  private constructor(db: Connection, base: number, upcasters: Upcasters, pollIntervalMs: number) {
    this.#db = db;
    this.#base = base;
    this.#upcasters = upcasters;
    this.#channel = `twofold_events.${db.schema}`;
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
    const committed = await this.#db.transaction((tx) => this.#write(tx, unit));
    if (committed.position !== undefined) this.#wakeUps.check();
    return committed;
  }

  async #write(tx: PostgresTx, unit: UnitOfWork<PostgresTx>): Promise<Committed> {
    const appends = unit.appends ?? [];
    const versions = new Map<string, number>();
    const recorded: RecordedEvent[] = [];
    const rows: EventInsert[] = [];
    const timestamp = Date.now();
    if (appends.length > 0) {
      // Lock the streams in one order, so that two commits over the same streams cannot deadlock.
      const perStream = new Map<string, number>();
      for (const { streamId, events } of appends)
        perStream.set(streamId, (perStream.get(streamId) ?? 0) + events.length);
      const ids = [...perStream.keys()].sort();
      const { rows: locked } = await tx.query<{ stream_id: string; version: number; xid: string }>(
        `INSERT INTO twofold_streams (stream_id, version)
           SELECT * FROM unnest($1::text[], $2::integer[])
         ON CONFLICT (stream_id) DO UPDATE SET version = twofold_streams.version + excluded.version
         RETURNING stream_id, version, pg_current_xact_id()::text AS xid`,
        [ids, ids.map((id) => perStream.get(id)!)],
      );
      const stored = new Map(locked.map((row) => [row.stream_id, row.version - perStream.get(row.stream_id)!]));
      let position = (toNumber(locked[0]!.xid) - this.#base) * EVENTS_PER_COMMIT;
      for (const { streamId, expectedVersion, events } of appends) {
        const actual = stored.get(streamId)!;
        if (!versionMatches(expectedVersion, actual)) {
          throw new ConcurrencyConflictError(`Stream ${streamId}`, expectedVersion, actual);
        }
        let version = versions.get(streamId) ?? actual;
        for (const event of events) {
          const { row, recorded: one } = recordEvent(event, streamId, ++version, ++position, timestamp);
          rows.push(row);
          recorded.push(one);
        }
        versions.set(streamId, version);
      }
      if (rows.length > 0) {
        const columns = EVENT_COLUMNS.split(', ').map((_, i) => rows.map((row) => row[i]));
        await tx.query(INSERT_EVENTS, columns);
      }
    }
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
    if (last !== undefined) await tx.query('SELECT pg_notify($1, $2)', [this.#channel, String(last)]);
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
       WHERE position > $1 AND position < ${this.#visibleBelow()}
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

function sqlLimit(limit: number): number | null {
  checkLimit(limit);
  return limit === Number.POSITIVE_INFINITY ? null : limit;
}
