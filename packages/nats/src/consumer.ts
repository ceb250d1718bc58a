import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  consoleLogger,
  type DeadLetterStore,
  type InboxStore,
  InvalidArgumentError,
  type Logger,
  NotFoundError,
  type RecordedEvent,
} from '@twofold/core';
import { describeError } from '@twofold/core/adapters';
import { deadLetterOf } from './dead-letter.js';
import { eventOf } from './events.js';
import { checkPrefix, subjectOf } from './subjects.js';

/** Options of {@link NatsConsumer}. */
export interface NatsConsumerOptions<Tx> {
  /** A JetStream client on the connection to receive with. */
  readonly jetstream: JetStreamClient;
  /** The stream the events are in (see {@link ensureStream}). */
  readonly stream: string;
  /**
   * The durable consumer's name (letters, digits, `_` and `-`): JetStream keeps its place under it, the inbox
   * marks messages under it, and its dead letters carry it as their subscriber.
   */
  readonly name: string;
  /** The subject prefix the events were published under. */
  readonly prefix: string;
  /** The event types to receive (more than one needs nats-server 2.10 or later). Default: every event under the prefix. */
  readonly types?: readonly string[];
  /** The inbox whose transaction the handler runs in: the `inbox` of the database the handler writes to. */
  readonly inbox: InboxStore<Tx>;
  /** Where messages are parked after `maxDeliveries`: the same database's `deadLetters`. */
  readonly deadLetters: DeadLetterStore;
  /**
   * Applies one event; `tx` is the inbox's transaction (the SQLite connection, synchronous; the PostgreSQL
   * client), so what the handler writes through it commits with the inbox mark or not at all.
   */
  readonly handle: (event: RecordedEvent, tx: Tx) => void | Promise<void>;
  /**
   * One message at a time, in the stream's order: a message that fails holds back the ones after it until it
   * succeeds or is parked. Default: false, where a failed message comes back after later ones.
   */
  readonly ordered?: boolean;
  /** Deliveries of a message before it is parked as a dead letter. Default: 5. */
  readonly maxDeliveries?: number;
  /** How long JetStream waits before delivering a failed message again. Default: 1000 ms. */
  readonly retryDelayMs?: number;
  /** How long JetStream waits for an ack before delivering the message again. Default: 30 000 ms. */
  readonly ackWaitMs?: number;
  /**
   * How long the inbox keeps the mark of a message this consumer received. When set, `start()` prunes older
   * marks, then again every hour (or every `inboxRetentionMs`, if shorter). A copy of a message that arrives after
   * its mark is pruned runs again, so `start()` refuses a retention shorter than the stream's duplicate window or
   * than `maxDeliveries × (ackWaitMs + retryDelayMs)`; keep it longer than a sending relay may stay down with
   * messages published but not yet marked sent. Default: marks are kept forever.
   */
  readonly inboxRetentionMs?: number;
  readonly logger?: Logger;
}

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * A durable pull consumer with explicit acks that feeds a handler through an inbox: each message runs the
 * handler and marks the inbox in one transaction, then is acked, so a message delivered again (an ack lost, a
 * node that died before acking) is a no-op. A message whose handler fails is delivered again after
 * `retryDelayMs`; on its `maxDeliveries`th delivery it is parked in the dead-letter store (a message that is not an
 * event Twofold published is parked at once), where {@link NatsConsumer.replay} runs it again and
 * `deadLetters.remove(id)` discards it.
 *
 * @example
 * const billing = new NatsConsumer({
 *   jetstream: jetstream(nc), stream: 'HOTEL', name: 'billing', prefix: 'hotel.events',
 *   inbox: db.inbox, deadLetters: db.deadLetters,
 *   handle: (event, tx) => void tx.prepare('INSERT INTO invoices (booking) VALUES (?)').run(event.streamId),
 * });
 * await billing.start();
 */
export class NatsConsumer<Tx> {
  /** The durable consumer's name. */
  readonly name: string;
  readonly #options: NatsConsumerOptions<Tx>;
  readonly #subjects: string[];
  readonly #maxDeliveries: number;
  readonly #retryDelayMs: number;
  readonly #ackWaitMs: number;
  readonly #retentionMs: number | undefined;
  readonly #logger: Logger;
  #pruning: ReturnType<typeof setInterval> | undefined;
  #starting: Promise<void> | undefined;
  #stopping = false;
  #loop: Promise<void> | undefined;
  #close: (() => void) | undefined;

  constructor(options: NatsConsumerOptions<Tx>) {
    const where = `NatsConsumer ${JSON.stringify(options?.name)}`;
    if (typeof options?.name !== 'string' || !NAME.test(options.name)) {
      throw new InvalidArgumentError(`${where}: options.name must be letters, digits, \`_\` and \`-\``);
    }
    if (typeof options.jetstream?.consumers?.get !== 'function') {
      throw new InvalidArgumentError(`${where}: options.jetstream must be a JetStream client (jetstream(nc))`);
    }
    if (typeof options.stream !== 'string' || !NAME.test(options.stream)) {
      throw new InvalidArgumentError(`${where}: options.stream must name a stream`);
    }
    const prefix = checkPrefix(options.prefix, where);
    if (typeof options.inbox?.receive !== 'function') {
      throw new InvalidArgumentError(`${where}: options.inbox must be an inbox store (db.inbox)`);
    }
    if (typeof options.deadLetters?.add !== 'function') {
      throw new InvalidArgumentError(`${where}: options.deadLetters must be a dead-letter store (db.deadLetters)`);
    }
    if (typeof options.handle !== 'function')
      throw new InvalidArgumentError(`${where}: options.handle must be a function`);
    if (options.types !== undefined && (!Array.isArray(options.types) || options.types.length === 0)) {
      throw new InvalidArgumentError(`${where}: options.types must be a non-empty array of event types`);
    }
    this.name = options.name;
    this.#options = options;
    this.#subjects = options.types?.map((type) => subjectOf(prefix, type)) ?? [`${prefix}.>`];
    this.#maxDeliveries = positive(options.maxDeliveries ?? 5, 'maxDeliveries', where);
    this.#retryDelayMs = positive(options.retryDelayMs ?? 1000, 'retryDelayMs', where);
    this.#ackWaitMs = positive(options.ackWaitMs ?? 30_000, 'ackWaitMs', where);
    this.#retentionMs =
      options.inboxRetentionMs === undefined
        ? undefined
        : positive(options.inboxRetentionMs, 'inboxRetentionMs', where);
    this.#logger = options.logger ?? consoleLogger('warn');
  }

  /**
   * Creates the durable consumer on the stream, or updates it to these options, and starts receiving in the
   * background. Fails with NOT_FOUND when the stream does not exist, and with INVALID_ARGUMENT when
   * `inboxRetentionMs` is shorter than the windows in which a message can come again. Starting twice, also twice
   * at once, starts one receiver.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { jetstream, stream, ordered = false } = this.#options;
    const manager = await jetstream.jetstreamManager();
    if (this.#retentionMs !== undefined) await this.#checkRetention(manager, this.#retentionMs);
    const config = {
      ack_wait: nanos(this.#ackWaitMs),
      // One subject works on every JetStream server; several need nats-server 2.10 or later.
      ...(this.#subjects.length === 1 ? { filter_subject: this.#subjects[0]! } : { filter_subjects: this.#subjects }),
      max_ack_pending: ordered ? 1 : 1000,
      max_deliver: -1,
    };
    try {
      const exists = await manager.consumers.info(stream, this.name).then(
        () => true,
        (error: unknown) => {
          if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return false;
          throw error;
        },
      );
      if (exists) await manager.consumers.update(stream, this.name, config);
      else {
        await manager.consumers.add(stream, {
          ...config,
          durable_name: this.name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
        });
      }
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
        throw new NotFoundError(`NatsConsumer ${this.name}: there is no stream ${stream}; create it with ensureStream`);
      }
      throw error;
    }
    this.#stopping = false;
    this.#loop = this.#run();
    if (this.#retentionMs !== undefined) {
      const retentionMs = this.#retentionMs;
      this.#pruning = setInterval(() => void this.#prune(retentionMs), Math.min(retentionMs, 3_600_000));
      // Cast, so that the package also type-checks with the DOM's timers (browser code may import it), whose
      // setInterval returns a plain number.
      (this.#pruning as { unref?: () => void }).unref?.();
      await this.#prune(retentionMs);
    }
  }

  /**
   * Stops receiving; resolves once the message being handled is acked. A `start()` still under way is let finish
   * first, so a consumer stopped while starting ends stopped.
   */
  async stop(): Promise<void> {
    await this.#starting?.catch(() => {});
    clearInterval(this.#pruning);
    this.#pruning = undefined;
    this.#stopping = true;
    this.#close?.();
    await this.#loop;
    this.#loop = undefined;
    this.#starting = undefined;
  }

  /**
   * Runs the handler once more on a dead letter's event, through the inbox. On success the dead letter is
   * removed; on failure it stays, with the new error and attempt count, and the error is thrown.
   */
  async replay(id: string): Promise<void> {
    const { deadLetters, inbox, handle } = this.#options;
    const letter = await deadLetters.get(id);
    if (letter === undefined) throw new NotFoundError(`No dead letter '${id}'`);
    if (letter.subscriber !== this.name) {
      throw new InvalidArgumentError(`Dead letter '${id}' belongs to '${letter.subscriber}', not '${this.name}'`);
    }
    try {
      await inbox.receive(this.name, letter.event.id, (tx) => handle(letter.event, tx));
    } catch (error) {
      await deadLetters.add({ ...letter, attempts: letter.attempts + 1, error: describeError(error), at: Date.now() });
      throw error;
    }
    await deadLetters.remove(id);
  }

  // A copy can come again within the stream's duplicate window (a relay that published it again is dropped by
  // JetStream only within it) and while JetStream redelivers it: the marks must outlive both.
  async #checkRetention(manager: JetStreamManager, retentionMs: number): Promise<void> {
    const info = await manager.streams.info(this.#options.stream).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw error;
    });
    const duplicateWindowMs = Math.ceil((info?.config.duplicate_window ?? 0) / 1e6);
    const redeliveryMs = this.#maxDeliveries * (this.#ackWaitMs + this.#retryDelayMs);
    if (retentionMs < Math.max(duplicateWindowMs, redeliveryMs)) {
      throw new InvalidArgumentError(
        `NatsConsumer ${this.name}: options.inboxRetentionMs (${retentionMs}) must be at least the stream's ` +
          `duplicate window (${duplicateWindowMs} ms) and maxDeliveries × (ackWaitMs + retryDelayMs) ` +
          `(${redeliveryMs} ms), or a message coming again after its mark was pruned would run twice`,
      );
    }
  }

  async #prune(retentionMs: number): Promise<void> {
    try {
      await this.#options.inbox.pruneBefore(this.name, new Date(Date.now() - retentionMs));
    } catch (error) {
      this.#logger.error({ err: error, consumer: this.name }, `NATS consumer ${this.name} could not prune its inbox`);
    }
  }

  // Receives until stopped; a consume that ends (the connection lost, the consumer deleted) starts again after
  // a pause.
  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        const consumer = await this.#options.jetstream.consumers.get(this.#options.stream, this.name);
        const messages = await consumer.consume({ max_messages: this.#options.ordered ? 1 : 100 });
        this.#close = () => void messages.close();
        if (this.#stopping) messages.close();
        for await (const message of messages) {
          // What was pulled and not handled is delivered again after the ack wait, here or on another node.
          if (this.#stopping) break;
          await this.#receive(message);
        }
      } catch (error) {
        if (!this.#stopping) this.#logger.error({ err: error, consumer: this.name }, 'NATS consumer stopped receiving');
      }
      if (this.#stopping) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#retryDelayMs);
        this.#close = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #receive(message: JsMsg): Promise<void> {
    const deliveries = message.info.deliveryCount;
    let event: RecordedEvent;
    try {
      event = eventOf(message);
    } catch (error) {
      await this.#park(message, deadLetterOf(this.name, message, undefined, error));
      return;
    }
    if (deliveries > this.#maxDeliveries) {
      const error = new Error(`delivered ${deliveries} times without an outcome`);
      await this.#park(message, deadLetterOf(this.name, message, event, error));
      return;
    }
    try {
      await this.#options.inbox.receive(this.name, event.id, (tx) => this.#options.handle(event, tx));
    } catch (error) {
      if (deliveries >= this.#maxDeliveries) {
        await this.#park(message, deadLetterOf(this.name, message, event, error));
        return;
      }
      this.#logger.warn(
        { err: error, consumer: this.name, event: event.id, deliveries },
        `NATS consumer ${this.name} failed on ${event.type} ${event.id}; retrying`,
      );
      settle(() => message.nak(this.#retryDelayMs));
      return;
    }
    settle(() => message.ack());
  }

  async #park(message: JsMsg, letter: ReturnType<typeof deadLetterOf>): Promise<void> {
    try {
      await this.#options.deadLetters.add(letter);
    } catch (error) {
      this.#logger.error({ err: error, consumer: this.name }, `NATS consumer ${this.name} could not park a message`);
      settle(() => message.nak(this.#retryDelayMs));
      return;
    }
    this.#logger.error(
      { consumer: this.name, event: letter.event.id, deliveries: letter.attempts },
      `NATS consumer ${this.name} parked ${letter.event.type} ${letter.event.id}: ${letter.error.split('\n')[0]}`,
    );
    settle(() => message.term());
  }
}

// An ack that cannot be sent (the connection closed) is not this message's failure: JetStream delivers it again
// after the ack wait, and the inbox makes that a no-op.
function settle(send: () => void): void {
  try {
    send();
  } catch {}
}

function positive(value: number, name: string, where: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${where}: options.${name} must be an integer >= 1; got ${String(value)}`);
  }
  return value;
}
