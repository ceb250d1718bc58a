import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStream, NatsConsumer, natsRelay } from '@twofold/nats';
import type { DeadLetterSource } from './dead-letters.js';
import { answerDeadLetters, askDeadLetters } from './nats-dead-letters.js';
import { MAX_DELIVERIES, type Receiver, type Sender, type Transport } from './transport.js';

/** Each service's events go to a stream of their own: what the hotel sends, and what billing sends. */
export const STREAMS = {
  hotel: { name: 'HOTEL', prefix: 'hotel.events' },
  billing: { name: 'BILLING', prefix: 'billing.events' },
} as const;

type Side = keyof typeof STREAMS;

/** A side's end of the NATS transport, and the other side's dead letters, asked over the same connection. */
export interface NatsTransport extends Transport {
  readonly peer: DeadLetterSource;
}

/**
 * One service's end of the NATS JetStream transport: its outbox is relayed to its own stream, and its receiver
 * is a durable consumer (named after it) of the other service's stream, feeding its inbox. Both streams are
 * created if missing, so either service may start first.
 *
 * @example
 * const transport = await natsTransport('nats://127.0.0.1:4222', 'billing', { outbox: db.outbox, receiver });
 * await transport.start();
 */
export async function natsTransport(
  url: string,
  side: Side,
  service: Sender & { readonly receiver: Receiver },
): Promise<NatsTransport> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1 });
  try {
    const js = jetstream(nc);
    const manager = await jetstreamManager(nc);
    for (const stream of Object.values(STREAMS)) await ensureStream(manager, stream);
    const own = STREAMS[side];
    const otherSide = side === 'hotel' ? 'billing' : 'hotel';
    const other = STREAMS[otherSide];
    const relay = natsRelay({
      outbox: service.outbox,
      jetstream: js,
      prefix: own.prefix,
      stream: own.name,
      pollIntervalMs: 50,
    });
    const { receiver } = service;
    const consumer = new NatsConsumer({
      jetstream: js,
      stream: other.name,
      prefix: other.prefix,
      name: receiver.name,
      types: receiver.types,
      inbox: receiver.inbox,
      deadLetters: receiver.deadLetters,
      handle: receiver.handle,
      maxDeliveries: MAX_DELIVERIES,
      ackWaitMs: 5000,
    });
    let answering: { stop(): Promise<void> } | undefined;
    return {
      peer: askDeadLetters(nc, otherSide),
      start: async () => {
        relay.start();
        await consumer.start();
        answering = await answerDeadLetters(nc, receiver);
      },
      stop: async () => {
        await answering?.stop();
        await consumer.stop();
        await relay.stop();
        await nc.close();
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}
