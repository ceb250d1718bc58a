import {
  consoleLogger,
  type DeadLetterStore,
  type InboxStore,
  type Logger,
  type NewQueuedCommand,
  OutboxRelay,
  type OutboxStore,
  type RecordedEvent,
  ValidationError,
} from '@twofold/core';
import { describeError } from '@twofold/core/adapters';
import { eventOfOutboxMessage } from '@twofold/nats';
import type { z } from 'zod';

/**
 * One side's receiving end: the events it takes in from the other service, through its inbox, so that each
 * one's effect (what `handle` writes with the inbox's transaction) happens once however often it is delivered.
 */
export interface Receiver<Tx = any> {
  /** The consumer's name: its inbox marks, its dead letters and, over NATS, its durable consumer carry it. */
  readonly name: string;
  readonly types: readonly string[];
  readonly inbox: InboxStore<Tx>;
  readonly deadLetters: DeadLetterStore;
  readonly handle: (event: RecordedEvent, tx: Tx) => void | Promise<void>;
}

/** What one side sends: the outbox its write model fills in each commit (see `natsOutbox`). */
export interface Sender {
  readonly outbox: OutboxStore<never>;
}

/**
 * Deliveries of one event to a receiver, on either transport, before it is parked as a dead letter in the
 * receiver's `deadLetters`, where {@link replayDeadLetter} runs it again.
 */
export const MAX_DELIVERIES = 5;

/**
 * The in-process transport: a relay that takes what `from` committed to its outbox and hands each event to `to`'s
 * inbox. The same messages as over NATS, without a broker: an event whose handler fails stays in the outbox and is
 * tried again with backoff, and on its {@link MAX_DELIVERIES}th failed delivery it is parked in `to.deadLetters`
 * (its error logged in full); the inbox makes one delivered twice a no-op.
 *
 * @example
 * const relay = embeddedLink(hotel, billing.receiver);
 * relay.start();
 */
export function embeddedLink(
  from: Sender,
  to: Receiver,
  options: { readonly pollIntervalMs?: number; readonly logger?: Logger } = {},
) {
  const types = new Set(to.types);
  const logger = options.logger ?? consoleLogger();
  return new OutboxRelay({
    store: from.outbox,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    retryDelayMs: 200,
    maxRetryDelayMs: 5000,
    logger,
    send: async (message) => {
      const event = eventOfOutboxMessage(message);
      if (!types.has(event.type)) return;
      try {
        await to.inbox.receive(to.name, event.id, (tx) => to.handle(event, tx));
      } catch (error) {
        if (message.attempts < MAX_DELIVERIES) throw error;
        await to.deadLetters.add({
          id: `${to.name}:${event.id}`,
          subscriber: to.name,
          event,
          error: describeError(error),
          attempts: message.attempts,
          at: Date.now(),
        });
        logger.error({ err: error, consumer: to.name, event: event.id }, `${to.name} parked event ${event.id}`);
      }
    },
  });
}

/**
 * Runs a dead letter `receiver` parked through its inbox again, and removes it once it took effect. Resolves
 * false, changing nothing, when `receiver` holds no dead letter `id`. When it fails again, the letter stays, with
 * one more attempt and the new error, and the error is thrown.
 *
 * @example
 * await replayDeadLetter(billing.receiver, 'billing:0193…'); // after the cause was fixed
 */
export async function replayDeadLetter(receiver: Receiver, id: string): Promise<boolean> {
  const letter = await receiver.deadLetters.get(id);
  if (letter === undefined || letter.subscriber !== receiver.name) return false;
  try {
    await receiver.inbox.receive(receiver.name, letter.event.id, (tx) => receiver.handle(letter.event, tx));
  } catch (error) {
    await receiver.deadLetters.add({
      ...letter,
      attempts: letter.attempts + 1,
      error: describeError(error),
      at: Date.now(),
    });
    throw error;
  }
  await receiver.deadLetters.remove(id);
  return true;
}

/**
 * The data of an event received from the other service, as `definition`'s schema reads it. Data that does not match
 * fails with VALIDATION_FAILED naming each field, so that the receiver parks the event with a problem that says
 * what was wrong, instead of queueing a command that could only fail.
 *
 * @example
 * const { bookingId, amount } = receivedData(RefundRequested, event);
 */
export function receivedData<S extends z.ZodType>(
  definition: { readonly type: string; readonly schema: S },
  event: RecordedEvent,
): z.output<S> {
  const parsed = definition.schema.safeParse(event.data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(({ path, message }) => ({
    path: path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message,
  }));
  throw new ValidationError(definition.type, issues, 'data');
}

/**
 * The queued command an event received from the other service turns into: its id is made of the event's, so
 * the same event enqueues it once, and it runs after the other commands of its `key`.
 */
export function commandOf(
  event: RecordedEvent,
  command: { readonly type: string; readonly data: unknown; readonly key: string },
): NewQueuedCommand {
  const now = Date.now();
  const correlationId = event.metadata.correlationId;
  return {
    id: `${command.type}:${event.id}`,
    type: command.type,
    data: command.data,
    envelope: {
      correlationId: typeof correlationId === 'string' ? correlationId : event.id,
      causationId: event.id,
      principal: undefined,
      tenant: undefined,
      metadata: {},
      idempotencyKey: undefined,
    },
    key: command.key,
    priority: 0,
    runAt: now,
    enqueuedAt: now,
  };
}

/** The two directions between the hotel and billing, started and stopped together. */
export interface Transport {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Both directions in this process, without a broker: what `a` sends reaches `b`'s receiver, and what `b` sends
 * reaches `a`'s.
 *
 * @example
 * const transport = embeddedTransport({ outbox: stores.outbox, receiver: replies }, billing);
 */
export function embeddedTransport(
  a: Sender & { readonly receiver: Receiver },
  b: Sender & { readonly receiver: Receiver },
): Transport {
  const relays = [embeddedLink(a, b.receiver), embeddedLink(b, a.receiver)];
  return {
    start: async () => {
      for (const relay of relays) relay.start();
    },
    stop: async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
    },
  };
}
