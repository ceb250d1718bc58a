// Phase (a): N events already committed, then published to JetStream as fast as each contender can, timed from
// the first publish to the last acknowledgement (and, for the relay, the rows deleted).
import { headers } from '@nats-io/transport-node';
import type { RecordedEvent } from '@twofold/core';
import { NATS_HEADERS, natsRelay } from '@twofold/nats';
import { bodyOf, EVENT_TYPE, freshStream, jetstream, type Sender, storedIn } from './messages.js';

export interface Published {
  readonly perSecond: number;
  readonly messages: number;
  readonly bodyBytes: number;
  readonly headerBytes: number;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** natsRelay draining an outbox that holds `events` (committed beforehand). */
export async function relayed<Tx>(url: string, sender: Sender<Tx>, events: number): Promise<Published> {
  const { nc, stream, prefix } = await freshStream(url);
  try {
    const relay = natsRelay({
      outbox: sender.outbox as never,
      jetstream: jetstream(nc),
      prefix,
      stream,
      logger: silent,
    });
    const started = performance.now();
    const sent = await relay.drain();
    const seconds = (performance.now() - started) / 1000;
    if (sent !== events) throw new Error(`the relay sent ${sent} messages, not ${events}`);
    const stored = await storedIn(nc, stream);
    if (stored.messages !== events) throw new Error(`the stream holds ${stored.messages} messages, not ${events}`);
    return { perSecond: events / seconds, ...stored };
  } finally {
    await nc.close();
  }
}

// Publishes awaiting their acknowledgement at once in the raw case: as many as the relay sends in one batch. Every
// message started at once (5,000 outstanding requests) measured slower than this, and sometimes below the relay.
const IN_FLIGHT = 500;

/**
 * The raw limit: the same messages (same subject, body and headers as the relay's) published with
 * `jetstream.publish` from this process, with async acks: `IN_FLIGHT` publishes always on their way, the next one
 * started as soon as one is acknowledged, with no database between them.
 */
export async function raw(url: string, events: readonly RecordedEvent[]): Promise<Published> {
  const { nc, stream, prefix } = await freshStream(url);
  try {
    const js = jetstream(nc);
    const subject = `${prefix}.${EVENT_TYPE}`;
    const messages = events.map((event) => {
      const h = headers();
      h.set(NATS_HEADERS.type, event.type);
      h.set(NATS_HEADERS.position, String(event.position));
      return { body: bodyOf(event), headers: h, id: event.id };
    });
    const started = performance.now();
    let next = 0;
    // Each lane publishes its next message once its last one is acknowledged: IN_FLIGHT always on their way.
    const lane = async () => {
      for (let m = messages[next++]; m !== undefined; m = messages[next++]) {
        await js.publish(subject, m.body, { msgID: m.id, headers: m.headers, expect: { streamName: stream } });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const seconds = (performance.now() - started) / 1000;
    const stored = await storedIn(nc, stream);
    if (stored.messages !== events.length) throw new Error(`the stream holds ${stored.messages}, not ${events.length}`);
    return { perSecond: events.length / seconds, ...stored };
  } finally {
    await nc.close();
  }
}
