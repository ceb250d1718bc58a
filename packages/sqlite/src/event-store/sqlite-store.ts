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
  type StreamAppend,
  type StreamId,
  type UnitOfWork,
  type Upcaster,
  Upcasters,
  type WriteStore,
} from '@twofold/core';
import {
  checkExpectedVersion,
  checkNewEvents,
  eventFromRow,
  fromJson,
  recordEvent,
  toJson,
  versionMatches,
} from '@twofold/core/adapters';
import { migrate } from '../connection/migrations.js';
import {
  closeDatabase,
  openDatabase,
  refusePromise,
  type SqliteConnectionOptions,
  type SqliteTx,
} from '../connection/open.js';
import { sqlLimit } from './checks.js';
import { eventStoreMigrations } from './schema.js';
import { EventStoreStatements } from './statements.js';
import { WakeUps } from './wake-up.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions extends SqliteConnectionOptions {
  /** Turn old versions of event types into new ones as they are read. */
  readonly upcasters?: readonly Upcaster[];
  /** How often a waiting reader checks the file for another process's commits. Default: 100 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Commits that arrive while another commit of the same event-loop turn has just run wait for the end of the
   * turn and share one transaction, each in its own savepoint: one conflicting or failing unit of work rolls back
   * alone. A lone commit never waits. Default: true.
   */
  readonly groupCommit?: boolean;
}

const GROUPS_TO_GIVE_UP = 8;
const PROBE_EVERY = 64;

interface Pending {
  readonly unit: UnitOfWork<SqliteTx>;
  readonly resolve: (committed: Committed) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly committed: Committed } | { readonly error: unknown };

/**
 * The embedded write store: event streams with a gap-free global order, aggregate states, idempotency records
 * and snapshots in one SQLite file (WAL). A commit is one synchronous transaction, so its participants (inline
 * projections, outbox rows) get the connection and write in it too. The schema is created and migrated on open.
 *
 * @example
 * const store = new SqliteStore({ path: 'data/hotel.db' });
 * const models = writeModels({ store });
 * // …
 * store.close();
 */
export class SqliteStore implements WriteStore<SqliteTx> {
  readonly #db: SqliteTx;
  readonly #sql: EventStoreStatements;
  readonly #upcasters: Upcasters;
  readonly #wakeUps: WakeUps;
  readonly #transaction: (unit: UnitOfWork<SqliteTx>) => Committed;
  readonly #group: ((units: readonly UnitOfWork<SqliteTx>[]) => Outcome[]) | undefined;
  #pending: Pending[] = [];
  // True from a commit until the end of its event-loop turn: a commit arriving meanwhile may join the next group.
  #busyTurn = false;
  // Whether commits of a busy turn wait for the group. After GROUPS_TO_GIVE_UP groups of one in a row (a caller
  // that commits in a loop, awaiting each commit), they run at once, and one in PROBE_EVERY waits, to notice
  // concurrent callers again.
  #grouping = true;
  #groupsOfOne = 0;
  #sinceProbe = 0;
  #dataVersion: number;

  constructor(options: SqliteStoreOptions = {}) {
    const pollIntervalMs = options.pollIntervalMs ?? 100;
    if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1) {
      throw new InvalidArgumentError('SqliteStore: options.pollIntervalMs must be an integer >= 1');
    }
    this.#upcasters = new Upcasters(options.upcasters);
    this.#db = openDatabase(options, 'data/twofold.db', 'SqliteStore');
    try {
      migrate(this.#db, 'event-store', eventStoreMigrations);
      this.#sql = new EventStoreStatements(this.#db);
    } catch (error) {
      closeDatabase(this.#db);
      throw error;
    }
    const groupCommit = options.groupCommit ?? true;
    if (typeof groupCommit !== 'boolean') {
      throw new InvalidArgumentError('SqliteStore: options.groupCommit must be true or false');
    }
    // Called inside another transaction, a better-sqlite3 transaction function runs in a savepoint.
    const transaction = this.#db.transaction((unit: UnitOfWork<SqliteTx>) => this.#write(unit));
    this.#transaction = (unit) => transaction.immediate(unit);
    const group = this.#db.transaction((units: readonly UnitOfWork<SqliteTx>[]) =>
      units.map((unit): Outcome => {
        try {
          return { committed: this.#appendOne(unit) ?? transaction(unit) };
        } catch (error) {
          return { error };
        }
      }),
    );
    this.#group = groupCommit ? (units) => group.immediate(units) : undefined;
    this.#dataVersion = this.#sql.dataVersion.get()!;
    this.#wakeUps = new WakeUps({
      head: () => this.#sql.head.get() as GlobalPosition,
      changed: () => {
        const version = this.#sql.dataVersion.get()!;
        const changed = version !== this.#dataVersion;
        this.#dataVersion = version;
        return changed;
      },
      pollIntervalMs,
    });
  }

  /** The database file's path (`':memory:'` for an in-memory database). */
  get path(): string {
    return this.#db.name;
  }

  async commit(unit: UnitOfWork<SqliteTx>): Promise<Committed> {
    const appends = unit.appends ?? [];
    for (const append of appends) {
      checkExpectedVersion(append.expectedVersion, `append to ${append.streamId}`);
      checkNewEvents(append.events, `append to ${append.streamId}`);
    }
    if (this.#group === undefined) return this.#commitNow(unit);
    if (this.#pending.length === 0) {
      if (!this.#busyTurn) {
        this.#busyTurn = true;
        setImmediate(() => this.#flush());
        return this.#commitNow(unit);
      }
      if (!this.#grouping && ++this.#sinceProbe < PROBE_EVERY) return this.#commitNow(unit);
      this.#sinceProbe = 0;
    }
    return new Promise((resolve, reject) => this.#pending.push({ unit, resolve, reject }));
  }

  #commitNow(unit: UnitOfWork<SqliteTx>): Committed {
    const committed = this.#appendOne(unit) ?? this.#transaction(unit);
    if (committed.position !== undefined) this.#wakeUps.wake(committed.position);
    return committed;
  }

  // Runs the commits that waited for the end of the turn, in one transaction. Commits that arrive while their
  // callers go on wait for the next turn in turn, so that concurrent callers keep committing together.
  #flush(): void {
    this.#busyTurn = false;
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    this.#busyTurn = true;
    setImmediate(() => this.#flush());
    this.#groupsOfOne = pending.length === 1 ? this.#groupsOfOne + 1 : 0;
    this.#grouping = this.#groupsOfOne < GROUPS_TO_GIVE_UP;
    if (pending.length === 1) {
      const [{ unit, resolve, reject }] = pending as [Pending];
      try {
        resolve(this.#commitNow(unit));
      } catch (error) {
        reject(error);
      }
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = this.#group!(pending.map((p) => p.unit));
    } catch (error) {
      for (const p of pending) p.reject(error);
      return;
    }
    let head: GlobalPosition | undefined;
    outcomes.forEach((outcome, i) => {
      if ('error' in outcome) {
        pending[i]!.reject(outcome.error);
      } else {
        head = outcome.committed.position ?? head;
        pending[i]!.resolve(outcome.committed);
      }
    });
    if (head !== undefined) this.#wakeUps.wake(head);
  }

  // The commonest unit, one event for one stream and nothing else, in a single statement instead of a transaction
  // of three. Undefined for any other unit.
  #appendOne(unit: UnitOfWork<SqliteTx>): Committed | undefined {
    const { appends, states, idempotency, participants } = unit;
    if (appends?.length !== 1 || states?.length || idempotency !== undefined || participants?.length) return undefined;
    const [{ streamId, expectedVersion, events }] = appends as [StreamAppend];
    if (events.length !== 1) return undefined;
    const expected = expectedVersion === 'any' ? null : expectedVersion === 'no-stream' ? 0 : expectedVersion;
    const timestamp = Date.now();
    const { row, recorded } = recordEvent(events[0]!, streamId, 0, 0, timestamp);
    const stored = this.#sql.appendOne.get(
      row[1],
      streamId,
      row[4],
      row[5],
      row[6],
      row[7],
      timestamp,
      streamId,
      expected,
    );
    if (stored === undefined) {
      throw new ConcurrencyConflictError(`Stream ${streamId}`, expectedVersion, this.#sql.streamVersion.get(streamId)!);
    }
    const event = { ...recorded, position: stored.position as GlobalPosition, streamVersion: stored.version };
    return { events: [event], position: event.position, versions: new Map([[streamId, stored.version]]) };
  }

  #write(unit: UnitOfWork<SqliteTx>): Committed {
    const sql = this.#sql;
    const appends = unit.appends ?? [];
    const states = unit.states ?? [];
    // Check everything first: a conflict is reported before anything is written.
    const stored = new Map<string, number>();
    for (const { streamId, expectedVersion } of appends) {
      const actual = stored.get(streamId) ?? sql.streamVersion.get(streamId)!;
      stored.set(streamId, actual);
      if (!versionMatches(expectedVersion, actual)) {
        throw new ConcurrencyConflictError(`Stream ${streamId}`, expectedVersion, actual);
      }
    }
    for (const { collection, id, expectedVersion } of states) {
      const actual = sql.stateVersion.get(collection, id) ?? 0;
      if (actual !== expectedVersion) {
        throw new ConcurrencyConflictError(`State ${collection}/${id}`, expectedVersion, actual);
      }
    }
    if (unit.idempotency !== undefined && sql.idempotencyUsed.get(unit.idempotency.key) !== undefined) {
      throw new ConcurrencyConflictError(`Idempotency key ${unit.idempotency.key}`, 'unused', 1);
    }

    const recorded: RecordedEvent[] = [];
    const versions = new Map<string, number>();
    const timestamp = Date.now();
    let position = sql.head.get()!;
    for (const { streamId, events } of appends) {
      let version = versions.get(streamId) ?? stored.get(streamId)!;
      for (const event of events) {
        const { row, recorded: one } = recordEvent(event, streamId, ++version, ++position, timestamp);
        sql.insertEvent.run(...row);
        recorded.push(one);
      }
      versions.set(streamId, version);
    }
    for (const write of states) {
      sql.saveState.run(write.collection, write.id, write.expectedVersion + 1, toJson(write.state));
      versions.set(`${write.collection}/${write.id}`, write.expectedVersion + 1);
    }
    const last = recorded.at(-1)?.position;
    if (unit.idempotency !== undefined) {
      const { key, result } = unit.idempotency;
      sql.insertIdempotency.run(key, toJson(result), last ?? null, timestamp);
    }
    (unit.participants ?? []).forEach((participant, index) => {
      refusePromise(participant(this.#db, recorded), `Unit-of-work participant #${index + 1}`);
    });
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
    const rows =
      direction === 'forward'
        ? this.#sql.readForward.all(streamId, options.from ?? 1, sqlLimit(limit))
        : this.#sql.readBackward.all(streamId, options.from ?? Number.MAX_SAFE_INTEGER, sqlLimit(limit));
    return rows.map((row) => this.#upcasters.apply(eventFromRow(row)));
  }

  async streamVersion(streamId: StreamId): Promise<number> {
    return this.#sql.streamVersion.get(streamId)!;
  }

  async readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]> {
    return this.#sql.readAll.all(after, sqlLimit(limit)).map((row) => this.#upcasters.apply(eventFromRow(row)));
  }

  async readLatest(limit: number): Promise<readonly RecordedEvent[]> {
    return this.#sql.readLatest.all(sqlLimit(limit)).map((row) => this.#upcasters.apply(eventFromRow(row)));
  }

  async head(): Promise<GlobalPosition> {
    return this.#sql.head.get() as GlobalPosition;
  }

  /** Resolves once the log holds an event after `after`: at once on a commit here, within a poll on another process's. */
  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    try {
      return this.#wakeUps.wait(after, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async load(
    collection: string,
    id: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined> {
    const row = this.#sql.loadState.get(collection, id);
    if (row === undefined) return undefined;
    return { state: fromJson(row.state, () => `The state ${collection}/${id}`), version: row.version };
  }

  async find(key: string): Promise<IdempotencyRecord | undefined> {
    const row = this.#sql.findIdempotency.get(key);
    if (row === undefined) return undefined;
    const result = fromJson(row.result, () => `The idempotency record ${key}`);
    return { key, result, position: (row.position ?? undefined) as GlobalPosition | undefined };
  }

  async loadSnapshot(
    streamId: StreamId,
    name: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined> {
    const row = this.#sql.loadSnapshot.get(name, streamId);
    if (row === undefined) return undefined;
    return { state: fromJson(row.state, () => `The ${name} snapshot of stream ${streamId}`), version: row.version };
  }

  async saveSnapshot(
    streamId: StreamId,
    name: string,
    snapshot: { readonly state: unknown; readonly version: number },
  ): Promise<void> {
    this.#sql.saveSnapshot.run(name, streamId, snapshot.version, toJson(snapshot.state));
  }

  /** Closes the connection; readers still waiting for events are rejected. Closing twice is harmless. */
  close(): void {
    if (!this.#db.open) return;
    // Commits already asked for are made, not dropped.
    this.#flush();
    this.#wakeUps.close(new Error(`SqliteStore ${this.#db.name} closed`));
    closeDatabase(this.#db);
  }
}
