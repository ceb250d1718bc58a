import {
  type AppendOptions,
  type Committed,
  ConcurrencyConflictError,
  type GlobalPosition,
  type IdempotencyRecord,
  InvalidArgumentError,
  type NewEvent,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type StreamId,
  UnavailableError,
  type UnitOfWork,
  type Upcaster,
  Upcasters,
  type WriteStore,
} from '@twofold/core';
import {
  appendUnit,
  checkExpectedVersion,
  checkNewEvents,
  commitUnit,
  eventFromRow,
  idempotencyFromRow,
  recordEvent,
  runSync,
  snapshotFromRow,
  stateFromRow,
  toJson,
} from '@twofold/core/adapters';
import { refusePromise, type SqliteConnection } from '../connection/open.js';
import { sqlLimit } from './checks.js';
import { type CommittedOrFailed, GroupCommit } from './group-commit.js';
import { EventStoreStatements } from './statements.js';
import { WakeUps } from './wake-up.js';

/** Options of the event store of a {@link SqliteDatabase}. */
export interface SqliteEventOptions {
  /** Turn old versions of event types into new ones as they are read. */
  readonly upcasters?: readonly Upcaster[];
  /** How often a waiting reader checks the file for another process's commits. Default: 100 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Commits that arrive while another commit of the same event-loop turn has just run wait for the end of the
   * turn and share one transaction, each in its own savepoint: one conflicting or failing unit of work rolls back
   * alone (when its failure ends the whole transaction, the others run again without it). A lone commit never
   * waits. Default: true.
   */
  readonly groupCommit?: boolean;
}

/** The event store's options with their defaults, checked (before the file opens); bad ones fail with INVALID_ARGUMENT. */
export function eventOptions(options: SqliteEventOptions): Required<SqliteEventOptions> {
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1) {
    throw new InvalidArgumentError('sqlite(): options.pollIntervalMs must be an integer >= 1');
  }
  const groupCommit = options.groupCommit ?? true;
  if (typeof groupCommit !== 'boolean') {
    throw new InvalidArgumentError('sqlite(): options.groupCommit must be true or false');
  }
  return { pollIntervalMs, groupCommit, upcasters: options.upcasters ?? [] };
}

/** Thrown out of a group's transaction when a unit's failure made SQLite roll back the whole of it. */
class GroupRolledBack extends Error {
  readonly index: number;
  override readonly cause: unknown;

  constructor(index: number, cause: unknown) {
    super('A unit of work rolled back its whole group');
    this.index = index;
    this.cause = cause;
  }
}

/**
 * The embedded write store, `sqlite(…).events`: event streams with a gap-free global order, aggregate states,
 * idempotency records and snapshots in the handle's file (WAL). A commit is one synchronous transaction, so its
 * participants (inline projections, outbox rows) get the connection and write in it too.
 *
 * @example
 * const db = sqlite('data/hotel.db');
 * const models = writeModels({ store: db.events });
 * // …
 * await db.close();
 */
export class SqliteStore implements WriteStore<SqliteConnection> {
  readonly #db: SqliteConnection;
  readonly #statements: EventStoreStatements;
  readonly #upcasters: Upcasters;
  readonly #wakeUps: WakeUps;
  readonly #transaction: (unit: UnitOfWork<SqliteConnection>) => Committed;
  readonly #group: (units: readonly UnitOfWork<SqliteConnection>[]) => CommittedOrFailed<Committed>[];
  readonly #groupCommit: GroupCommit<UnitOfWork<SqliteConnection>, Committed> | undefined;
  #dataVersion: number;

  /** Made by {@link sqlite}, on its connection (migrated); `onClose` runs when the handle closes. */
  constructor(db: SqliteConnection, options: Required<SqliteEventOptions>, onClose: (hook: () => void) => void) {
    const { pollIntervalMs, groupCommit } = options;
    this.#upcasters = new Upcasters(options.upcasters);
    this.#db = db;
    this.#statements = new EventStoreStatements(db);
    // Called inside another transaction, a transaction function runs in a savepoint.
    const transaction = this.#db.transaction((unit: UnitOfWork<SqliteConnection>) => this.#write(unit));
    this.#transaction = (unit) => transaction.immediate(unit);
    const group = this.#db.transaction((units: readonly UnitOfWork<SqliteConnection>[]) =>
      units.map((unit, index): CommittedOrFailed<Committed> => {
        try {
          return { committed: this.#appendOne(unit) ?? transaction(unit) };
        } catch (error) {
          // Some failures (ON CONFLICT ROLLBACK, RAISE(ROLLBACK), I/O errors) end the whole transaction.
          if (!this.#db.inTransaction) throw new GroupRolledBack(index, error);
          return { error };
        }
      }),
    );
    this.#group = (units) => group.immediate(units);
    this.#groupCommit = groupCommit
      ? new GroupCommit({ alone: (unit) => this.#commitNow(unit), together: (units) => this.#commitGroup(units) })
      : undefined;
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
    onClose(() => {
      // Commits already asked for are made, not dropped.
      this.#groupCommit?.flush();
      this.#wakeUps.close(new UnavailableError(`sqlite(): ${db.name} closed`));
    });
  }

  /** The database file's path (`':memory:'` for an in-memory database). */
  get path(): string {
    return this.#db.name;
  }

  // Every statement is reached through here: a call on a closed store fails with UNAVAILABLE, not with the
  // driver's TypeError.
  get #sql(): EventStoreStatements {
    if (!this.#db.open) throw new UnavailableError(`sqlite(): ${this.#db.name} is closed`);
    return this.#statements;
  }

  async commit(unit: UnitOfWork<SqliteConnection>): Promise<Committed> {
    const appends = unit.appends ?? [];
    for (const append of appends) {
      checkExpectedVersion(append.expectedVersion, `append to ${append.streamId}`);
      checkNewEvents(append.events, `append to ${append.streamId}`);
    }
    return this.#groupCommit === undefined ? this.#commitNow(unit) : this.#groupCommit.commit(unit);
  }

  #commitNow(unit: UnitOfWork<SqliteConnection>): Committed {
    const committed = this.#appendOne(unit) ?? this.#transaction(unit);
    if (committed.position !== undefined) this.#wakeUps.wake(committed.position);
    return committed;
  }

  // Several units in one transaction, each in its own savepoint. A unit whose failure rolled back the whole
  // transaction fails alone: the others run again without it.
  #commitGroup(units: readonly UnitOfWork<SqliteConnection>[]): CommittedOrFailed<Committed>[] {
    const outcomes: CommittedOrFailed<Committed>[] = [];
    let remaining = units.map((_, i) => i);
    while (remaining.length > 0) {
      try {
        const results = this.#group(remaining.map((i) => units[i]!));
        results.forEach((outcome, k) => {
          outcomes[remaining[k]!] = outcome;
        });
        break;
      } catch (error) {
        if (!(error instanceof GroupRolledBack)) throw error;
        const failed = remaining[error.index]!;
        outcomes[failed] = { error: error.cause };
        remaining = remaining.filter((i) => i !== failed);
      }
    }
    let head: GlobalPosition | undefined;
    for (const outcome of outcomes) if ('committed' in outcome) head = outcome.committed.position ?? head;
    if (head !== undefined) this.#wakeUps.wake(head);
    return outcomes;
  }

  // The commonest unit, one event for one stream and nothing else, in a single statement instead of a transaction
  // of three. Undefined for any other unit.
  #appendOne(unit: UnitOfWork<SqliteConnection>): Committed | undefined {
    const { appends, states, idempotency, participants } = unit;
    if (appends?.length !== 1 || states?.length || idempotency !== undefined || participants?.length) return undefined;
    const [{ streamId, expectedVersion, events }] = appends as [StreamAppend];
    if (events.length !== 1) return undefined;
    const expected = expectedVersion === 'any' ? null : expectedVersion === 'no-stream' ? 0 : expectedVersion;
    const timestamp = Date.now();
    const { row, recorded } = recordEvent(events[0]!, streamId, 0, 0, timestamp);
    // all(), not get(): SQLite runs the WAL's automatic checkpoint only for a statement stepped to its end.
    const [stored] = this.#sql.appendOne.all(
      row.id,
      streamId,
      row.type,
      row.schema_version,
      row.data,
      row.metadata,
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

  #write(unit: UnitOfWork<SqliteConnection>): Committed {
    return runSync(commitUnit(this.#sql.commit, this.#db, unit), refusePromise);
  }

  append(streamId: StreamId, events: readonly NewEvent[], options?: AppendOptions): Promise<Committed> {
    return this.commit(appendUnit(streamId, events, options));
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

  async readLatest(limit: number, before?: GlobalPosition): Promise<readonly RecordedEvent[]> {
    return this.#sql.readLatest
      .all(before ?? Number.MAX_SAFE_INTEGER, sqlLimit(limit))
      .map((row) => this.#upcasters.apply(eventFromRow(row)));
  }

  async head(): Promise<GlobalPosition> {
    return this.#sql.head.get() as GlobalPosition;
  }

  /** The highest position handed out: the head, since SQLite assigns positions as it commits, in order. */
  ceiling(): Promise<GlobalPosition> {
    return this.head();
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
    return stateFromRow(this.#sql.loadState.get(collection, id), collection, id);
  }

  async find(key: string): Promise<IdempotencyRecord | undefined> {
    return idempotencyFromRow(key, this.#sql.findIdempotency.get(key));
  }

  async pruneIdempotency(before: number, limit: number): Promise<number> {
    return this.#sql.pruneIdempotency.run(before, sqlLimit(limit)).changes;
  }

  async loadSnapshot(
    streamId: StreamId,
    name: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined> {
    return snapshotFromRow(this.#sql.loadSnapshot.get(name, streamId), name, streamId);
  }

  async saveSnapshot(
    streamId: StreamId,
    name: string,
    snapshot: { readonly state: unknown; readonly version: number },
  ): Promise<void> {
    this.#sql.saveSnapshot.run(name, streamId, snapshot.version, toJson(snapshot.state));
  }
}
