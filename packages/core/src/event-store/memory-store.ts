import { ConcurrencyConflictError } from '../errors/errors.js';
import type { GlobalPosition } from '../positions/position.js';
import { Waiters } from '../positions/waiters.js';
import type { Committed, IdempotencyRecord, ReadStreamOptions, UnitOfWork, WriteStore } from './ports.js';
import {
  checkExpectedVersion,
  checkLimit,
  checkNewEvents,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type StreamId,
  versionMatches,
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
    const appends = unit.appends ?? [];
    const states = unit.states ?? [];
    for (const append of appends) {
      checkExpectedVersion(append.expectedVersion, `append to ${append.streamId}`);
      checkNewEvents(append.events, `append to ${append.streamId}`);
    }
    // Check everything first, so that a failed commit changes nothing.
    for (const { streamId, expectedVersion } of appends) {
      const actual = this.#streams.get(streamId)?.length ?? 0;
      if (!versionMatches(expectedVersion, actual))
        throw new ConcurrencyConflictError(`Stream ${streamId}`, expectedVersion, actual);
    }
    for (const write of states) {
      const actual = this.#states.get(stateKey(write.collection, write.id))?.version ?? 0;
      if (actual !== write.expectedVersion) {
        throw new ConcurrencyConflictError(
          `State ${stateKey(write.collection, write.id)}`,
          write.expectedVersion,
          actual,
        );
      }
    }
    if (unit.idempotency !== undefined && this.#idempotency.has(unit.idempotency.key)) {
      throw new ConcurrencyConflictError(`Idempotency key ${unit.idempotency.key}`, 'unused', 1);
    }

    const recorded: RecordedEvent[] = [];
    const versions = new Map<string, number>();
    const streamLengths = new Map<string, number>();
    const timestamp = Date.now();
    for (const { streamId, events } of appends) {
      let version = streamLengths.get(streamId) ?? this.#streams.get(streamId)?.length ?? 0;
      for (const event of events) {
        version++;
        recorded.push(
          record(event, streamId, version, (this.#log.length + recorded.length + 1) as GlobalPosition, timestamp),
        );
      }
      streamLengths.set(streamId, version);
      versions.set(streamId, version);
    }
    const onCommit: (() => void)[] = [];
    const tx: MemoryTx = { store: this, onCommit: (apply) => void onCommit.push(apply) };
    for (const participant of unit.participants ?? []) await participant(tx, recorded);

    for (const event of recorded) {
      this.#log.push(event);
      let stream = this.#streams.get(event.streamId);
      if (stream === undefined) {
        stream = [];
        this.#streams.set(event.streamId, stream);
      }
      stream.push(event);
    }
    for (const write of states) {
      const key = stateKey(write.collection, write.id);
      this.#states.set(key, { state: structuredClone(write.state), version: write.expectedVersion + 1 });
      versions.set(key, write.expectedVersion + 1);
    }
    const position = recorded.at(-1)?.position;
    if (unit.idempotency !== undefined) {
      const { key, commandType, fingerprint, result } = unit.idempotency;
      this.#idempotency.set(key, {
        record: { key, commandType, fingerprint, result: structuredClone(result), position },
        at: timestamp,
      });
    }
    for (const apply of onCommit) apply();
    if (recorded.length > 0 && this.#waiters.size > 0) this.#waiters.wake(this.#log.length as GlobalPosition);
    return { events: recorded, position, versions };
  }

  append(
    streamId: StreamId,
    events: readonly NewEvent[],
    options: { readonly expectedVersion?: ExpectedVersion } = {},
  ): Promise<Committed> {
    return this.commit({ appends: [{ streamId, events, expectedVersion: options.expectedVersion ?? 'any' }] });
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

function record(
  event: NewEvent,
  streamId: StreamId,
  streamVersion: number,
  position: GlobalPosition,
  timestamp: number,
): RecordedEvent {
  return {
    id: event.id ?? crypto.randomUUID(),
    type: event.type,
    data: structuredClone(event.data),
    metadata: event.metadata ?? {},
    streamId,
    streamVersion,
    position,
    timestamp,
    schemaVersion: event.schemaVersion ?? 1,
  };
}
