import type { GlobalPosition } from '../positions/position.js';
import { Waiters } from '../positions/waiters.js';
import { runAsync } from '../protocol/run.js';
import { appendUnit } from './commit/append-unit.js';
import type { CommitDialect, EventPlace, IdempotencyEntry, StateRecord } from './commit/commit-dialect.js';
import { commitUnit } from './commit/commit-unit.js';
import type {
  AppendOptions,
  Committed,
  IdempotencyRecord,
  ReadStreamOptions,
  UnitOfWork,
  WriteStore,
} from './ports.js';
import {
  checkExpectedVersion,
  checkLimit,
  checkNewEvents,
  type NewEvent,
  type RecordedEvent,
  type StreamId,
} from './records.js';
import { type Upcaster, Upcasters } from './upcasters.js';

/** The transaction handle the in-memory store gives unit-of-work participants. */
export interface MemoryTx {
  readonly store: MemoryStore;
  /**
   * Runs `apply` once every part of the commit has succeeded, and never when any part fails. A participant that
   * keeps state of its own (the in-memory read store, the in-memory outbox) stages its writes and applies them
   * here, so that a later participant's failure leaves it as it was. `apply` must not throw.
   */
  onCommit(apply: () => void): void;
}

/**
 * Whether a write transaction can defer work until its commit succeeds (the in-memory store's can), for
 * in-memory participants that may also run inside another store's transaction.
 *
 * @example
 * if (defersToCommit(tx)) tx.onCommit(() => applyStaged()); else applyStaged();
 */
export function defersToCommit(tx: unknown): tx is Pick<MemoryTx, 'onCommit'> {
  return typeof tx === 'object' && tx !== null && typeof (tx as Partial<MemoryTx>).onCommit === 'function';
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  readonly upcasters?: readonly Upcaster[];
}

/**
 * A complete write store in memory: event streams with a gap-free global order, states, idempotency records and
 * snapshots. For tests, examples and prototypes; it forgets everything when the process ends.
 *
 * @example
 * const store = new MemoryStore();
 * const models = writeModels({ store });
 * mediator.command(BookRoom, models.eventSourced(booking, { stream: ({ bookingId }) => streamId('booking', bookingId) }));
 */
export class MemoryStore implements WriteStore<MemoryTx> {
  readonly #log: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #states = new Map<string, { state: unknown; version: number }>();
  // In the order stored, which is also the order of `at`: pruning takes from the front.
  readonly #idempotency = new Map<string, { readonly record: IdempotencyRecord; readonly at: number }>();
  readonly #snapshots = new Map<string, { state: unknown; version: number }>();
  readonly #upcasters: Upcasters;
  readonly #waiters = new Waiters();
  #tail: Promise<void> = Promise.resolve();

  constructor(options: MemoryStoreOptions = {}) {
    this.#upcasters = new Upcasters(options.upcasters);
  }

  commit(unit: UnitOfWork<MemoryTx>): Promise<Committed> {
    // One commit at a time: a participant that awaits must not let another commit check the same versions.
    const run = this.#tail.then(() => this.#commit(unit));
    this.#tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #commit(unit: UnitOfWork<MemoryTx>): Promise<Committed> {
    for (const append of unit.appends ?? []) {
      checkExpectedVersion(append.expectedVersion, `append to ${append.streamId}`);
      checkNewEvents(append.events, `append to ${append.streamId}`);
    }
    // The commit writes into `tx`; only once all of it (participants too) has succeeded is it applied.
    const tx = new MemoryTransaction(this);
    const committed = await runAsync(commitUnit(this.#dialect, tx, unit));
    for (const event of tx.events) {
      this.#log.push(event);
      let stream = this.#streams.get(event.streamId);
      if (stream === undefined) {
        stream = [];
        this.#streams.set(event.streamId, stream);
      }
      stream.push(event);
    }
    for (const { collection, id, version, state } of tx.states) {
      this.#states.set(stateKey(collection, id), { state: structuredClone(state), version });
    }
    const entry = tx.idempotency;
    if (entry !== undefined) {
      const { key, commandType, fingerprint, result, position, at } = entry;
      this.#idempotency.set(key, {
        record: {
          key,
          commandType,
          fingerprint,
          result: structuredClone(result),
          position: position as GlobalPosition,
        },
        at,
      });
    }
    tx.applied();
    if (committed.events.length > 0 && this.#waiters.size > 0) this.#waiters.wake(this.#log.length as GlobalPosition);
    return committed;
  }

  // Reads see the store as committed: the commit protocol checks everything before it writes anything.
  readonly #dialect: CommitDialect<MemoryTransaction> = {
    streamVersion: (_, streamId) => this.#streams.get(streamId)?.length ?? 0,
    stateVersion: (_, collection, id) => this.#states.get(stateKey(collection, id))?.version ?? 0,
    idempotencyUsed: (_, key) => this.#idempotency.has(key),
    head: () => this.#log.length,
    insertEvent: (tx, event, place) => {
      const recorded = record(event, place);
      tx.events.push(recorded);
      return recorded;
    },
    saveState: (tx, state) => void tx.states.push(state),
    saveIdempotency: (tx, entry) => {
      tx.idempotency = entry;
    },
  };

  append(streamId: StreamId, events: readonly NewEvent[], options?: AppendOptions): Promise<Committed> {
    return this.commit(appendUnit(streamId, events, options));
  }

  async readStream(streamId: StreamId, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const stream = this.#streams.get(streamId) ?? [];
    const { direction = 'forward', limit = Number.POSITIVE_INFINITY } = options;
    checkLimit(limit);
    const events =
      direction === 'forward'
        ? stream.slice((options.from ?? 1) - 1)
        : stream.slice(0, options.from ?? stream.length).reverse();
    return events.slice(0, limit).map((e) => this.#upcasters.apply(e));
  }

  async streamVersion(streamId: StreamId): Promise<number> {
    return this.#streams.get(streamId)?.length ?? 0;
  }

  async readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]> {
    checkLimit(limit);
    return this.#log.slice(after, after + limit).map((e) => this.#upcasters.apply(e));
  }

  async readLatest(limit: number, before?: GlobalPosition): Promise<readonly RecordedEvent[]> {
    checkLimit(limit);
    // Positions here are 1-based indexes of the log: the events before `before` are the first `before - 1`.
    const end = before === undefined ? this.#log.length : Math.min(this.#log.length, Math.max(0, before - 1));
    return this.#log
      .slice(Math.max(0, end - limit), end)
      .reverse()
      .map((e) => this.#upcasters.apply(e));
  }

  async head(): Promise<GlobalPosition> {
    return this.#log.length as GlobalPosition;
  }

  /** The highest position handed out: the head, since positions are assigned as events are committed. */
  ceiling(): Promise<GlobalPosition> {
    return this.head();
  }

  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    if (this.#log.length > after) return Promise.resolve();
    return this.#waiters.add(after, signal);
  }

  async load(
    collection: string,
    id: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined> {
    const found = this.#states.get(stateKey(collection, id));
    return found === undefined ? undefined : { state: structuredClone(found.state), version: found.version };
  }

  async find(key: string): Promise<IdempotencyRecord | undefined> {
    return this.#idempotency.get(key)?.record;
  }

  async pruneIdempotency(before: number, limit: number): Promise<number> {
    checkLimit(limit);
    let pruned = 0;
    for (const [key, { at }] of this.#idempotency) {
      if (at >= before || pruned >= limit) break;
      this.#idempotency.delete(key);
      pruned++;
    }
    return pruned;
  }

  async loadSnapshot(
    streamId: StreamId,
    name: string,
  ): Promise<{ readonly state: unknown; readonly version: number } | undefined> {
    const found = this.#snapshots.get(`${name}/${streamId}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  async saveSnapshot(
    streamId: StreamId,
    name: string,
    snapshot: { readonly state: unknown; readonly version: number },
  ): Promise<void> {
    this.#snapshots.set(`${name}/${streamId}`, structuredClone({ state: snapshot.state, version: snapshot.version }));
  }
}

function stateKey(collection: string, id: string): string {
  return `${collection}/${id}`;
}

function record(event: NewEvent, place: EventPlace): RecordedEvent {
  return {
    id: event.id ?? crypto.randomUUID(),
    type: event.type,
    data: structuredClone(event.data),
    metadata: event.metadata ?? {},
    streamId: place.streamId,
    streamVersion: place.streamVersion,
    position: place.position as GlobalPosition,
    timestamp: place.timestamp,
    schemaVersion: event.schemaVersion ?? 1,
  };
}

/** One commit's writes, held until all of it has succeeded; participants get it as their {@link MemoryTx}. */
class MemoryTransaction implements MemoryTx {
  readonly store: MemoryStore;
  readonly events: RecordedEvent[] = [];
  readonly states: StateRecord[] = [];
  idempotency: IdempotencyEntry | undefined;
  readonly #onCommit: (() => void)[] = [];

  constructor(store: MemoryStore) {
    this.store = store;
  }

  onCommit(apply: () => void): void {
    this.#onCommit.push(apply);
  }

  /** Runs what participants deferred to the commit, once it is applied. */
  applied(): void {
    for (const apply of this.#onCommit) apply();
  }
}
