import { type CatchUpSource, type CatchUpSteps, catchUpOnce, runCatchUp } from '../catch-up/catch-up-loop.js';
import { SharedReads } from '../catch-up/shared-reads.js';
import { PositionTracker } from '../consistency/position-tracker.js';
import type { DeadLetterStore } from '../dead-letters/ports.js';
import { describeError, InvalidArgumentError, isTwofoldError } from '../errors/errors.js';
import { type EventFeed, eventsBetween } from '../event-store/ports.js';
import type { RecordedEvent } from '../event-store/records.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import type { ProjectionSlot, ProjectionStore } from './ports.js';
import type { Projection } from './projection.js';
import type {
  CatchUpProgress,
  ProjectionFailurePolicy,
  ProjectionRunnerOptions,
  ProjectionState,
  ProjectionStatus,
} from './runner-options.js';

export type {
  CatchUpProgress,
  ProjectionFailurePolicy,
  ProjectionRunnerOptions,
  ProjectionState,
  ProjectionStatus,
} from './runner-options.js';

/**
 * Keeps one asynchronous projection up to date: reads the log after its checkpoint in batches, applies each
 * batch and moves the checkpoint in one read-store transaction, then waits for new events. An event that cannot
 * be applied stops the projection at that event (status 'failing', the error and position visible) and is retried
 * with backoff, so the projection resumes by itself once the cause is fixed; meanwhile queries waiting to read
 * beyond it fail at once. With `onFailure: 'park'` the event is parked as a dead letter instead, and the projection
 * goes on.
 *
 * @example
 * const runner = new ProjectionRunner({ projection: roomAvailability, store, feed: eventStore });
 * runner.start();
 * mediator.query(FreeRooms, handler, { reads: [runner.progress] });
 */
export class ProjectionRunner<Tx = unknown> {
  /** Progress for read-your-writes: pass it in a query's `reads`. */
  readonly progress: PositionTracker;
  readonly #projection: Projection<Tx>;
  readonly #store: ProjectionStore<Tx>;
  readonly #feed: EventFeed;
  readonly #source: CatchUpSource;
  readonly #batchSize: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #logger: Logger;
  readonly #onProgress: ((progress: CatchUpProgress) => void) | undefined;
  readonly #slot: ProjectionSlot;
  readonly #onFailure: ProjectionFailurePolicy;
  readonly #deadLetters: DeadLetterStore | undefined;
  readonly #attempts: number;
  #tries: { readonly position: GlobalPosition; count: number } | undefined;
  #active = false;
  #activeVersion: number | undefined;
  #catchUpStarted: { readonly at: number; events: number } | undefined;
  #position: GlobalPosition = START;
  #state: ProjectionState = 'stopped';
  #failure: ProjectionStatus['failure'];
  #oldestPending: number | undefined;
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: ProjectionRunnerOptions<Tx>) {
    const { projection, store, feed } = options;
    if (typeof projection?.apply !== 'function' || typeof projection.name !== 'string') {
      throw new InvalidArgumentError('ProjectionRunner: options.projection must be a projection from projection()');
    }
    if (typeof store?.commit !== 'function' || typeof store.checkpoint !== 'function') {
      throw new InvalidArgumentError('ProjectionRunner: options.store must be a ProjectionStore (checkpoint, commit)');
    }
    if (typeof feed?.readAll !== 'function' || typeof feed.waitForEvents !== 'function') {
      throw new InvalidArgumentError(
        'ProjectionRunner: options.feed must be an event feed (readAll, waitForEvents, head)',
      );
    }
    this.#projection = projection;
    this.#store = store;
    this.#feed = feed;
    this.#batchSize = positiveInteger(options.batchSize ?? 500, 'batchSize');
    this.#source = { reads: SharedReads.of(feed), batchSize: this.#batchSize };
    this.#retryDelayMs = positiveInteger(options.retryDelayMs ?? 100, 'retryDelayMs');
    this.#maxRetryDelayMs = positiveInteger(options.maxRetryDelayMs ?? 30_000, 'maxRetryDelayMs');
    this.#logger = options.logger ?? consoleLogger('warn');
    this.#onProgress = options.onProgress;
    this.#slot = { projection: projection.name, version: projection.version };
    this.#onFailure = options.onFailure ?? 'stop';
    if (this.#onFailure !== 'stop' && this.#onFailure !== 'park') {
      throw new InvalidArgumentError(
        `ProjectionRunner: options.onFailure must be 'stop' or 'park'; got ${JSON.stringify(this.#onFailure)}`,
      );
    }
    this.#deadLetters = options.deadLetters;
    if (this.#onFailure === 'park' && typeof this.#deadLetters?.add !== 'function') {
      throw new InvalidArgumentError("ProjectionRunner: onFailure 'park' needs options.deadLetters, a DeadLetterStore");
    }
    this.#attempts = positiveInteger(options.attempts ?? 3, 'attempts');
    const ceiling = feed.ceiling?.bind(feed);
    this.progress = new PositionTracker(projection.name, ceiling === undefined ? {} : { ceiling });
  }

  /** The projection's name. */
  get name(): string {
    return this.#projection.name;
  }

  /** Starts the runner in the background; `stop()` ends it. Starting twice is harmless. */
  start(): void {
    if (this.#loop !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#state = 'starting';
    this.#loop = runCatchUp(this.#source, this.#steps(), controller.signal).finally(() => {
      this.#state = 'stopped';
      this.#loop = undefined;
    });
  }

  /** Stops the runner after the batch in flight, and resolves once it has stopped. */
  async stop(): Promise<void> {
    this.#controller?.abort(new Error('stopped'));
    await this.#loop;
  }

  /**
   * Applies every event in the log now, activates this version if it is not yet, and resolves with the position
   * reached; for tests, scripts and rebuilds. Not while started.
   */
  async catchUp(): Promise<GlobalPosition> {
    if (this.#loop !== undefined)
      throw new InvalidArgumentError(`${this.name}: catchUp() cannot run while the runner is started`);
    return catchUpOnce(this.#source, {
      open: () => this.#open(),
      apply: async (from, batch) => {
        const position = await this.#applyBatch(from, batch);
        await this.#reportProgress(position, batch.length);
        return position;
      },
      caughtUp: (position) => this.#caughtUp(position),
    });
  }

  /** Position, head, lag, the version that serves reads, and the failure it is retrying, if any. */
  async status(): Promise<ProjectionStatus> {
    const [head, heldBy] = await Promise.all([this.#feed.head(), this.#feed.heldBy?.()]);
    const position = this.#position;
    const lagEvents = await eventsBetween(this.#feed, position, head);
    return {
      name: this.name,
      version: this.#projection.version,
      state: this.#state,
      position,
      head,
      lagEvents,
      lagMs: lagEvents === 0 || this.#oldestPending === undefined ? 0 : Math.max(0, Date.now() - this.#oldestPending),
      heldBy,
      activeVersion: this.#activeVersion,
      failure: this.#failure,
      onFailure: this.#onFailure,
      parked: this.#deadLetters === undefined ? 0 : (await this.#deadLetters.list(this.name)).length,
    };
  }

  // The steps of the catch-up loop while started: the state, the failure and the retry delay follow each step.
  #steps(): CatchUpSteps {
    let delay = this.#retryDelayMs;
    return {
      open: () => this.#open(),
      apply: async (from, batch) => {
        this.#state = this.#readsOn(batch) ? 'catching-up' : 'running';
        const position = await this.#applyBatch(from, batch);
        this.#recovered();
        delay = this.#retryDelayMs;
        if (this.#state === 'catching-up') await this.#reportProgress(position, batch.length);
        return position;
      },
      // A version being built reads on until it sees nothing left, and only then is swapped in.
      readOn: (batch) => this.#readsOn(batch),
      caughtUp: async (position) => {
        await this.#caughtUp(position);
        this.#state = 'running';
        this.#oldestPending = undefined;
        this.#recovered();
      },
      failed: (error) => {
        // Events before the failing one may have been committed one by one: the loop resumes after them, opening
        // again to re-read the checkpoint, in case another runner moved it (CONCURRENCY_CONFLICT) or the store
        // lost it (a Redis restart).
        const position = this.#position;
        this.#state = 'failing';
        // #applyBatch already recorded a handler failure with its event's position; anything else (the feed,
        // the store) is recorded at the checkpoint.
        const previous = this.#failure;
        const failure =
          previous !== undefined && previous.error === error
            ? previous
            : { error, position, since: previous?.since ?? Date.now() };
        this.#failure = failure;
        this.#logger.error(
          { err: error, projection: this.name, position: failure.position, retryInMs: delay },
          `Projection ${this.name} failed`,
        );
        const wait = delay;
        delay = Math.min(delay * 2, this.#maxRetryDelayMs);
        return wait;
      },
    };
  }

  #readsOn(batch: readonly RecordedEvent[]): boolean {
    return batch.length === this.#batchSize || !this.#active;
  }

  // Reads the slot's checkpoint and which version queries read. A newer active version means this code is
  // older than the read model: refuse rather than write into it.
  async #open(): Promise<GlobalPosition> {
    const active = await this.#store.activeVersion(this.name);
    this.#activeVersion = active;
    if (active !== undefined && active > this.#slot.version) {
      throw new InvalidArgumentError(
        `Projection ${this.name}: version ${active} is active, but this code has version ${this.#slot.version}`,
      );
    }
    if (active === undefined) {
      // A first build has no older version to serve meanwhile: queries read it as it fills, lag showing.
      await this.#store.activate(this.#slot);
      this.#activeVersion = this.#slot.version;
    }
    this.#active = this.#activeVersion === this.#slot.version;
    const position = await this.#store.checkpoint(this.#slot);
    this.#position = position;
    if (this.#active) this.progress.advanceTo(position);
    this.#catchUpStarted = { at: performance.now(), events: 0 };
    return position;
  }

  // Once a version that queries do not read yet has caught up, swap it in atomically.
  async #caughtUp(position: GlobalPosition): Promise<void> {
    if (this.#active) return;
    await this.#store.activate(this.#slot);
    this.#active = true;
    this.#activeVersion = this.#slot.version;
    this.progress.advanceTo(position);
    this.#logger.info(
      { projection: this.name, version: this.#slot.version, position },
      `Projection ${this.name} activated`,
    );
  }

  async #reportProgress(position: GlobalPosition, applied: number): Promise<void> {
    const started = this.#catchUpStarted;
    if (started !== undefined) started.events += applied;
    if (this.#onProgress === undefined || started === undefined) return;
    const head = await this.#feed.head();
    const seconds = Math.max((performance.now() - started.at) / 1000, 1e-3);
    const eventsPerSecond = started.events / seconds;
    const remaining = await eventsBetween(this.#feed, position, head);
    try {
      this.#onProgress({
        projection: this.name,
        version: this.#slot.version,
        position,
        head,
        eventsPerSecond,
        etaMs: eventsPerSecond > 0 ? (remaining / eventsPerSecond) * 1000 : Number.POSITIVE_INFINITY,
        rebuilding: !this.#active,
      });
    } catch (error) {
      this.#logger.warn({ err: error, projection: this.name }, 'onProgress threw');
    }
  }

  // Applies a batch in one transaction. When it fails, applies the same events one per transaction, so that
  // everything before the failing event is kept and the failure names that event's position.
  async #applyBatch(from: GlobalPosition, batch: readonly RecordedEvent[]): Promise<GlobalPosition> {
    this.#oldestPending = batch[0]?.timestamp;
    const last = batch[batch.length - 1]!.position;
    try {
      await this.#store.commit(this.#slot, from, last, (tx) => this.#applyAll(batch, tx));
      this.#position = last;
      if (this.#active) this.progress.advanceTo(last);
      return last;
    } catch (batchError) {
      if (batch.length === 1) {
        const outcome = await this.#park(from, batch[0]!, batchError);
        if (outcome === 'parked') return last;
        this.#failure = { error: batchError, position: last, since: this.#failure?.since ?? Date.now() };
        if (outcome === 'stopped') this.progress.halt();
        throw batchError;
      }
      let position = from;
      for (const event of batch) {
        await this.#applyBatch(position, [event]);
        position = event.position;
      }
      return position;
    }
  }

  // Under 'park', after the last try, parks the event as a dead letter and moves the checkpoint past it. Never for
  // a conflict or an unreachable store: those are not the event's fault. The letter is written first, so that a
  // crash in between retries the event rather than losing it.
  // Says whether queries waiting beyond the event are to be turned away: not for another runner moving the
  // checkpoint (a conflict; the runner re-reads and goes on), nor for an event to be parked after a few more tries.
  async #park(from: GlobalPosition, event: RecordedEvent, error: unknown): Promise<'parked' | 'retry' | 'stopped'> {
    if (isTwofoldError(error, 'CONCURRENCY_CONFLICT')) return 'retry';
    if (this.#onFailure !== 'park' || isTwofoldError(error, 'UNAVAILABLE')) return 'stopped';
    const tries = this.#tries?.position === event.position ? this.#tries : { position: event.position, count: 0 };
    tries.count++;
    this.#tries = tries;
    if (tries.count < this.#attempts) return 'retry';
    const id = `${this.name}:${event.position}`;
    await this.#deadLetters!.add({
      id,
      subscriber: this.name,
      event,
      error: describeError(error),
      attempts: tries.count,
      at: Date.now(),
    });
    await this.#store.commit(this.#slot, from, event.position, () => undefined);
    this.#position = event.position;
    if (this.#active) this.progress.advanceTo(event.position);
    this.#tries = undefined;
    this.#logger.error(
      { err: error, projection: this.name, position: event.position, type: event.type, deadLetter: id },
      `Projection ${this.name} gave up on ${event.type} after ${tries.count} attempts; parked as a dead letter`,
    );
    this.#recovered();
    return 'parked';
  }

  // The failure logged last is no longer current once the runner moves on: a line says so.
  #recovered(): void {
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#logger.info(
        { projection: this.name, position: this.#position, failedAt: failure.position },
        `Projection ${this.name} runs again after its failure at position ${failure.position}`,
      );
    }
    this.#failure = undefined;
    this.progress.resume();
  }

  #applyAll(batch: readonly RecordedEvent[], tx: Tx): void | Promise<void> {
    const projection = this.#projection;
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i]!;
      if (!projection.eventTypes.has(event.type)) continue;
      const applied = projection.apply(event, tx);
      // Stay synchronous while handlers are (an inline projection's store applies them in a synchronous SQLite
      // transaction); once one is not, await it and the rest in one loop.
      if (applied instanceof Promise) return this.#applyRest(applied, batch, tx, i + 1);
    }
  }

  async #applyRest(pending: Promise<void>, batch: readonly RecordedEvent[], tx: Tx, from: number): Promise<void> {
    await pending;
    const projection = this.#projection;
    for (let i = from; i < batch.length; i++) {
      const event = batch[i]!;
      if (!projection.eventTypes.has(event.type)) continue;
      const applied = projection.apply(event, tx);
      if (applied instanceof Promise) await applied;
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`ProjectionRunner: options.${name} must be an integer >= 1; got ${String(value)}`);
  }
  return value;
}
