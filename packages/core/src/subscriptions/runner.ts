import { type CatchUpSource, type CatchUpSteps, catchUpOnce, runCatchUp } from '../catch-up/catch-up-loop.js';
import { SharedReads } from '../catch-up/shared-reads.js';
import { PositionTracker } from '../consistency/position-tracker.js';
import type { DeadLetter, DeadLetterStore } from '../dead-letters/ports.js';
import { describeError, InvalidArgumentError, NotFoundError } from '../errors/errors.js';
import { type EventFeed, eventsBetween, type FeedLag } from '../event-store/ports.js';
import type { RecordedEvent } from '../event-store/records.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import { sleep } from '../runtime/sleep.js';
import type { CheckpointStore } from './ports.js';
import type { Subscriber } from './subscriber.js';

/** Options of {@link SubscriberRunner}. */
export interface SubscriberRunnerOptions {
  readonly subscriber: Subscriber;
  readonly feed: EventFeed;
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterStore;
  /** Tries per event before it is parked as a dead letter. Default: 5. */
  readonly attempts?: number;
  /** Wait before the first retry, doubled on each further one (with jitter) up to `maxRetryDelayMs`. Default: 200 ms. */
  readonly retryDelayMs?: number;
  /** Default: 30 000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Events read per batch. Default: 100. */
  readonly batchSize?: number;
  readonly logger?: Logger;
}

/** How a subscriber is doing, for dashboards. */
export interface SubscriberStatus extends FeedLag {
  /** Set while an event is being retried. */
  readonly retrying:
    | { readonly position: GlobalPosition; readonly attempt: number; readonly error: unknown }
    | undefined;
  readonly deadLetters: number;
}

/**
 * Runs a side-effect subscriber: reads the log after its checkpoint, hands each event it handles to the
 * subscriber, retries a failing event with exponential backoff, and after the last attempt parks it in the
 * dead-letter store with its error and moves on, so that one bad event never blocks the others. Effects are
 * at-least-once: the checkpoint moves after the effect.
 *
 * @example
 * const runner = new SubscriberRunner({ subscriber: refunds, feed: eventStore, checkpoints, deadLetters });
 * runner.start();
 * // later, once the payment service is back:
 * for (const letter of await deadLetters.list('billing.refunds')) await runner.replay(letter.id);
 */
export class SubscriberRunner {
  /** How far the subscriber has handled the log: pass it in a query's `reads` to wait for its effects. */
  readonly progress: PositionTracker;
  #skipped = { count: 0, since: Date.now() };
  readonly #subscriber: Subscriber;
  readonly #feed: EventFeed;
  readonly #source: CatchUpSource;
  readonly #checkpoints: CheckpointStore;
  readonly #deadLetters: DeadLetterStore;
  readonly #attempts: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #batchSize: number;
  readonly #logger: Logger;
  #position: GlobalPosition = START;
  #retrying: SubscriberStatus['retrying'];
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: SubscriberRunnerOptions) {
    const { subscriber, feed, checkpoints, deadLetters } = options;
    if (typeof subscriber?.handle !== 'function') {
      throw new InvalidArgumentError('SubscriberRunner: options.subscriber must come from subscriber()');
    }
    if (typeof feed?.readAll !== 'function' || typeof feed.waitForEvents !== 'function') {
      throw new InvalidArgumentError(
        'SubscriberRunner: options.feed must be an event feed (readAll, waitForEvents, head)',
      );
    }
    if (typeof checkpoints?.get !== 'function' || typeof checkpoints.set !== 'function') {
      throw new InvalidArgumentError('SubscriberRunner: options.checkpoints must be a CheckpointStore (get, set)');
    }
    if (typeof deadLetters?.add !== 'function' || typeof deadLetters.get !== 'function') {
      throw new InvalidArgumentError('SubscriberRunner: options.deadLetters must be a DeadLetterStore');
    }
    this.#subscriber = subscriber;
    this.#feed = feed;
    this.#checkpoints = checkpoints;
    this.#deadLetters = deadLetters;
    this.#attempts = atLeastOne(options.attempts ?? 5, 'attempts');
    this.#retryDelayMs = atLeastOne(options.retryDelayMs ?? 200, 'retryDelayMs');
    this.#maxRetryDelayMs = atLeastOne(options.maxRetryDelayMs ?? 30_000, 'maxRetryDelayMs');
    this.#batchSize = atLeastOne(options.batchSize ?? 100, 'batchSize');
    this.#source = { reads: SharedReads.of(feed), batchSize: this.#batchSize };
    this.#logger = options.logger ?? consoleLogger('warn');
    const ceiling = feed.ceiling?.bind(feed);
    this.progress = new PositionTracker(subscriber.name, ceiling === undefined ? {} : { ceiling });
  }

  /** The subscriber's name. */
  get name(): string {
    return this.#subscriber.name;
  }

  /** Starts the runner in the background; `stop()` ends it. Starting twice is harmless. */
  start(): void {
    if (this.#loop !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#loop = runCatchUp(this.#source, this.#steps(), controller.signal).finally(() => {
      this.#loop = undefined;
    });
  }

  /** Stops after the event in flight (an event being retried stays unhandled and is retried on the next start). */
  async stop(): Promise<void> {
    this.#controller?.abort(new Error('stopped'));
    await this.#loop;
    try {
      await this.#saveSkipped(true);
    } catch (error) {
      // Only costs reading some events again on the next start.
      this.#logger.warn({ err: error, subscriber: this.name }, `Subscriber ${this.name} could not checkpoint on stop`);
    }
  }

  /** Handles every event in the log now, then resolves with the position reached. Not while started. */
  async catchUp(): Promise<GlobalPosition> {
    if (this.#loop !== undefined) throw new InvalidArgumentError(`${this.name}: catchUp() cannot run while started`);
    return catchUpOnce(this.#source, {
      open: async () => {
        const position = await this.#checkpoints.get(this.name);
        this.progress.advanceTo(position);
        return position;
      },
      apply: (from, batch, signal) => this.#handleBatch(from, batch, signal),
      caughtUp: () => this.#saveSkipped(true),
    });
  }

  /**
   * Runs the subscriber once more on a dead letter's event. On success the dead letter is removed; on failure it
   * stays, with the new error and attempt count, and the error is thrown.
   */
  async replay(id: string): Promise<void> {
    const letter = await this.#deadLetters.get(id);
    if (letter === undefined) throw new NotFoundError(`No dead letter '${id}'`);
    if (letter.subscriber !== this.name) {
      throw new InvalidArgumentError(`Dead letter '${id}' belongs to '${letter.subscriber}', not '${this.name}'`);
    }
    const attempt = letter.attempts + 1;
    try {
      await this.#subscriber.handle(letter.event, {
        event: letter.event,
        attempt,
        signal: new AbortController().signal,
        logger: this.#logger,
      });
    } catch (error) {
      await this.#deadLetters.add({ ...letter, attempts: attempt, error: describeError(error), at: Date.now() });
      throw error;
    }
    await this.#deadLetters.remove(id);
  }

  /** Position, head, lag, how many dead letters it has, and the event it is retrying, if any. */
  async status(): Promise<SubscriberStatus> {
    const [head, letters, heldBy] = await Promise.all([
      this.#feed.head(),
      this.#deadLetters.list(this.name),
      this.#feed.heldBy?.(),
    ]);
    return {
      name: this.name,
      running: this.#loop !== undefined,
      position: this.#position,
      head,
      lagEvents: await eventsBetween(this.#feed, this.#position, head),
      heldBy,
      retrying: this.#retrying,
      deadLetters: letters.length,
    };
  }

  // The steps of the catch-up loop while started. The subscriber's own failures end in dead letters (#deliver):
  // a failed step is the log or a store, and is read again after a pause.
  #steps(): CatchUpSteps {
    return {
      open: async () => {
        const position = await this.#checkpoints.get(this.name);
        this.#position = position;
        this.progress.advanceTo(position);
        return position;
      },
      apply: (from, batch, signal) => this.#handleBatch(from, batch, signal),
      readOn: (batch) => batch.length === this.#batchSize,
      caughtUp: () => undefined,
      failed: (error) => {
        this.#logger.error(
          { err: error, subscriber: this.name },
          `Subscriber ${this.name} could not read or checkpoint`,
        );
        return this.#retryDelayMs;
      },
    };
  }

  async #handleBatch(
    from: GlobalPosition,
    batch: readonly RecordedEvent[],
    signal: AbortSignal,
  ): Promise<GlobalPosition> {
    let position = from;
    for (const event of batch) {
      if (this.#subscriber.eventTypes.has(event.type)) {
        const handled = await this.#deliver(event, signal);
        if (!handled) return position;
        await this.#checkpoints.set(this.name, event.position);
        this.#skipped = { count: 0, since: Date.now() };
      } else {
        this.#skipped.count++;
      }
      position = event.position;
      this.#position = position;
      this.progress.advanceTo(position);
    }
    await this.#saveSkipped(false);
    return position;
  }

  // Events it does not handle need no effect, and reading them again after a restart costs little: the checkpoint
  // passes them now and then (every SKIP_CHECKPOINT_EVENTS events or SKIP_CHECKPOINT_MS), and when it stops.
  async #saveSkipped(now: boolean): Promise<void> {
    const { count, since } = this.#skipped;
    if (count === 0) return;
    if (!now && count < SKIP_CHECKPOINT_EVENTS && Date.now() - since < SKIP_CHECKPOINT_MS) return;
    await this.#checkpoints.set(this.name, this.#position);
    this.#skipped = { count: 0, since: Date.now() };
  }

  // Returns false when stopped mid-retry (the event stays unhandled), true once handled or parked.
  async #deliver(event: RecordedEvent, signal: AbortSignal): Promise<boolean> {
    let delay = this.#retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#subscriber.handle(event, { event, attempt, signal, logger: this.#logger });
        this.#retrying = undefined;
        return true;
      } catch (error) {
        if (attempt >= this.#attempts) {
          const letter: DeadLetter = {
            id: `${this.name}:${event.position}`,
            subscriber: this.name,
            event,
            error: describeError(error),
            attempts: attempt,
            at: Date.now(),
          };
          await this.#deadLetters.add(letter);
          this.#retrying = undefined;
          this.#logger.error(
            { err: error, subscriber: this.name, position: event.position, type: event.type, deadLetter: letter.id },
            `Subscriber ${this.name} gave up on ${event.type} after ${attempt} attempts; parked as a dead letter`,
          );
          return true;
        }
        this.#retrying = { position: event.position, attempt, error };
        this.#logger.warn(
          { err: error, subscriber: this.name, position: event.position, attempt, retryInMs: delay },
          `Subscriber ${this.name} failed on ${event.type}; retrying`,
        );
        await sleep(delay * (0.75 + Math.random() * 0.5), signal);
        if (signal.aborted) return false;
        delay = Math.min(delay * 2, this.#maxRetryDelayMs);
      }
    }
  }
}

const SKIP_CHECKPOINT_EVENTS = 1000;
const SKIP_CHECKPOINT_MS = 1000;

function atLeastOne(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`SubscriberRunner: options.${name} must be an integer >= 1; got ${String(value)}`);
  }
  return value;
}
