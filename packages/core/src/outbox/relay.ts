import { describeError, InvalidArgumentError } from '../errors/errors.js';
import type { EventFeed } from '../event-store/ports.js';
import type { GlobalPosition } from '../positions/position.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import type { OutboxMessage, OutboxStore } from './ports.js';

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  readonly store: OutboxStore<never>;
  /** Delivers one message (publish to the broker, call the webhook); throwing means "try again later". */
  readonly send: (message: OutboxMessage) => Promise<void>;
  /** Messages claimed at a time. Default: 100. */
  readonly batchSize?: number;
  /** How long a claim keeps other relays off a message. Default: 30 000 ms. */
  readonly leaseMs?: number;
  /** How often to look for messages when there were none. Default: 250 ms; `wake()` looks at once. */
  readonly pollIntervalMs?: number;
  /**
   * The event feed of the write store the outbox is written with (`db.events`): the relay then looks for messages
   * as soon as it reports new events (an in-process signal on SQLite, LISTEN/NOTIFY on PostgreSQL, so commits of
   * other processes too), instead of at the next poll. Default: none, the relay polls (and `wake()` looks at once).
   */
  readonly feed?: EventFeed;
  /**
   * Messages on their way at once: each `send` of a batch starts without waiting for the ones before it, up to
   * this many, in the order written (a broker client that publishes asynchronously keeps that order on the
   * wire). Default: 1, one at a time.
   */
  readonly inFlight?: number;
  /** Deliveries tried before a message is parked. Default: 10. */
  readonly maxAttempts?: number;
  /** Wait before the second try, doubled for each further one up to `maxRetryDelayMs`. Default: 1000 ms. */
  readonly retryDelayMs?: number;
  /** Default: 60 000 ms. */
  readonly maxRetryDelayMs?: number;
  readonly logger?: Logger;
}

/**
 * Delivers the outbox: claims due messages, sends them in the order they were written, completes the ones that
 * went out and reschedules the others with backoff, parking a message after `maxAttempts`. Several relays (one per
 * node) can run on one shared outbox: a claimed message is theirs alone until its lease ends. Delivery is at least
 * once, so receivers should drop a message id they have seen.
 *
 * @example
 * const relay = new OutboxRelay({ store: outbox, send: (m) => broker.publish(m.topic, m.payload, { id: m.id }) });
 * relay.start();
 * // after a commit, to send without waiting for the next poll:
 * relay.wake();
 */
export class OutboxRelay {
  readonly #store: OutboxStore<never>;
  readonly #send: (message: OutboxMessage) => Promise<void>;
  readonly #batchSize: number;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #feed: EventFeed | undefined;
  readonly #maxAttempts: number;
  readonly #inFlight: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #logger: Logger;
  #controller: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  // A wake() that came while the relay was busy: it looks again before waiting.
  #woken = false;

  constructor(options: OutboxRelayOptions) {
    if (typeof options?.store?.claim !== 'function') {
      throw new InvalidArgumentError('OutboxRelay: options.store must be an outbox store');
    }
    if (typeof options.send !== 'function')
      throw new InvalidArgumentError('OutboxRelay: options.send must be a function');
    this.#store = options.store;
    this.#send = options.send;
    this.#batchSize = positive(options.batchSize ?? 100, 'batchSize');
    this.#leaseMs = positive(options.leaseMs ?? 30_000, 'leaseMs');
    this.#pollIntervalMs = positive(options.pollIntervalMs ?? 250, 'pollIntervalMs');
    if (options.feed !== undefined && typeof options.feed?.waitForEvents !== 'function') {
      throw new InvalidArgumentError('OutboxRelay: options.feed must be an event feed (db.events)');
    }
    this.#feed = options.feed;
    this.#maxAttempts = positive(options.maxAttempts ?? 10, 'maxAttempts');
    this.#inFlight = positive(options.inFlight ?? 1, 'inFlight');
    this.#retryDelayMs = positive(options.retryDelayMs ?? 1000, 'retryDelayMs');
    this.#maxRetryDelayMs = positive(options.maxRetryDelayMs ?? 60_000, 'maxRetryDelayMs');
    this.#logger = options.logger ?? consoleLogger('warn');
  }

  /** Starts delivering in the background. Starting twice is harmless. */
  start(): void {
    if (this.#loop !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#loop = this.#run(controller.signal);
  }

  /** Stops after the batch being sent (and one claimed meanwhile), and resolves once they have. */
  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Looks for messages now instead of at the next poll (call it after a commit that wrote some). */
  wake(): void {
    if (this.#wake === undefined) this.#woken = true;
    else this.#wake();
  }

  /** Delivers every message due now, once each; for tests and scripts. Resolves with the number sent. */
  async drain(): Promise<number> {
    return this.#pipeline(await this.#claim(), () => true);
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Read before the claim: an event committed after it is above this position, so the wait ends at once.
      let seen: GlobalPosition | undefined;
      try {
        this.#woken = false;
        seen = await this.#feed?.head();
        const batch = await this.#claim();
        if (batch.length > 0) {
          await this.#pipeline(batch, () => !signal.aborted);
          continue;
        }
      } catch (error) {
        this.#logger.error({ err: error }, 'Outbox relay could not claim, reschedule or delete messages in its outbox');
      }
      if (signal.aborted) return;
      if (!this.#woken) await this.#idle(signal, seen);
    }
  }

  // Until the poll interval passes, wake() is called, the feed has an event after `seen`, or the relay stops;
  // the timer and the feed's wait go with it.
  async #idle(signal: AbortSignal, seen: GlobalPosition | undefined): Promise<void> {
    const waiting = new AbortController();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiting.abort();
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#pollIntervalMs);
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
      if (seen !== undefined) {
        // A feed that fails leaves the relay to its poll.
        this.#feed?.waitForEvents(seen, waiting.signal).then(done, () => {});
      }
    });
  }

  #claim(): Promise<readonly OutboxMessage[]> {
    return this.#store.claim(this.#batchSize, this.#leaseMs);
  }

  // Delivers `first`, then the batches claimed after it while `more()` says so, until a claim finds none. Once a
  // batch's messages are on their way, and while their acknowledgements come, the next batch is claimed (the
  // claim passes the leased ones by) and the rows of the batch before are deleted. Batches go out one after
  // another, in the order written. A failure stops the claims and is thrown once the batch claimed meanwhile has
  // gone out too: left leased, it would come back only after newer messages, and a lease later.
  async #pipeline(first: readonly OutboxMessage[], more: () => boolean): Promise<number> {
    let total = 0;
    let batch = first;
    // Sent, and not yet deleted.
    let done: string[] = [];
    let failure: { readonly reason: unknown } | undefined;
    try {
      while (batch.length > 0) {
        const sent: string[] = [];
        const delivering = this.#deliver(batch, sent);
        const claiming = failure === undefined && more() ? this.#claim() : Promise.resolve([]);
        const deleting = done.length > 0 ? this.#store.complete(done) : Promise.resolve();
        done = [];
        const [delivered, claimed, deleted] = await Promise.allSettled([delivering, claiming, deleting]);
        done = sent;
        total += sent.length;
        for (const outcome of [deleted, delivered, claimed]) {
          if (outcome.status === 'rejected') failure ??= { reason: outcome.reason };
        }
        batch = claimed.status === 'fulfilled' ? claimed.value : [];
      }
    } catch (error) {
      failure ??= { reason: error };
    }
    if (done.length > 0) {
      try {
        await this.#store.complete(done);
      } catch (error) {
        // The first failure is the one to throw: this one follows from it, or is the same cause seen again.
        if (failure === undefined) throw error;
        this.#logger.error(
          { err: error, messages: done },
          'Outbox relay could not delete messages it sent, after an earlier failure: they go out again once their lease ends',
        );
      }
    }
    if (failure !== undefined) throw failure.reason;
    return total;
  }

  // Sends in order, `inFlight` at a time, adding each message that went out to `sent`; reschedules each failure
  // as soon as its window is done.
  async #deliver(batch: readonly OutboxMessage[], sent: string[]): Promise<void> {
    for (let start = 0; start < batch.length; start += this.#inFlight) {
      const window = batch.slice(start, start + this.#inFlight);
      const outcomes = await Promise.allSettled(window.map((message) => this.#send(message)));
      for (const [index, outcome] of outcomes.entries()) {
        const message = window[index]!;
        if (outcome.status === 'fulfilled') sent.push(message.id);
        else await this.#failed(message, outcome.reason);
      }
    }
  }

  async #failed(message: OutboxMessage, error: unknown): Promise<void> {
    const giveUp = message.attempts >= this.#maxAttempts;
    const delay = Math.min(this.#retryDelayMs * 2 ** (message.attempts - 1), this.#maxRetryDelayMs);
    await this.#store.fail(message.id, describeError(error), giveUp ? undefined : Date.now() + delay);
    this.#logger[giveUp ? 'error' : 'warn'](
      { err: error, message: message.id, topic: message.topic, attempts: message.attempts },
      giveUp ? `Outbox message ${message.id} parked` : `Outbox message ${message.id} failed; retrying`,
    );
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`OutboxRelay: options.${name} must be an integer >= 1; got ${String(value)}`);
  }
  return value;
}
