import {
  CorruptDataError,
  type DeadLetterStore,
  type GlobalPosition,
  type InboxStore,
  type NewQueuedCommand,
  type OutboxMessage,
  OutboxRelay,
  type OutboxStore,
  type RecordedEvent,
  type StreamId,
} from '@twofold/core';
import { NATS_HEADERS } from '@twofold/nats';

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
 * The in-process transport: a relay that takes what `from` committed to its outbox and hands each event to `to`'s
 * inbox. The same messages as over NATS, without a broker: an event whose handler fails stays in the outbox and is
 * tried again with backoff, and the inbox makes one delivered twice a no-op.
 *
 * @example
 * const relay = embeddedLink(hotel, billing.receiver);
 * relay.start();
 */
export function embeddedLink(from: Sender, to: Receiver, options: { readonly pollIntervalMs?: number } = {}) {
  const types = new Set(to.types);
  return new OutboxRelay({
    store: from.outbox,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    retryDelayMs: 200,
    maxRetryDelayMs: 5000,
    send: async (message) => {
      const event = eventOfOutbox(message);
      if (!types.has(event.type)) return;
      await to.inbox.receive(to.name, event.id, (tx) => to.handle(event, tx));
    },
  });
}

// The outbox rows `natsOutbox` writes: the event id, its type and position in headers, the rest in the body.
function eventOfOutbox(message: OutboxMessage): RecordedEvent {
  const body = message.payload as {
    streamId?: unknown;
    streamVersion: number;
    data: unknown;
    metadata?: Record<string, unknown>;
    timestamp: number;
    schemaVersion?: number;
  };
  const type = message.headers[NATS_HEADERS.type];
  const position = Number(message.headers[NATS_HEADERS.position]);
  if (type === undefined || typeof body?.streamId !== 'string' || !Number.isSafeInteger(position)) {
    throw new CorruptDataError(`Outbox message ${message.id} is not an event natsOutbox wrote`);
  }
  return {
    id: message.id,
    type,
    data: body.data,
    metadata: body.metadata ?? {},
    streamId: body.streamId as StreamId,
    streamVersion: body.streamVersion,
    position: position as GlobalPosition,
    timestamp: body.timestamp,
    schemaVersion: body.schemaVersion ?? 1,
  };
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
