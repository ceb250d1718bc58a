import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { InvalidArgumentError, OutboxRelay, type OutboxRelayOptions, type OutboxStore } from '@twofold/core';
import { checkPrefix, subjectOf } from './subjects.js';

/** Options of {@link natsRelay}: where to publish, and the outbox relay's own options. */
export interface NatsRelayOptions extends Omit<OutboxRelayOptions, 'store' | 'send'> {
  /** The outbox {@link natsOutbox} writes to: the `outbox` of the write store's database handle. */
  readonly outbox: OutboxStore<never>;
  /** A JetStream client on the connection to publish with. */
  readonly jetstream: JetStreamClient;
  /** Events are published on `<prefix>.<event type>`. */
  readonly prefix: string;
  /**
   * The stream the messages must land in (see {@link ensureStream}); JetStream refuses a message captured by
   * another stream, and the relay retries it later.
   */
  readonly stream: string;
}

/**
 * An outbox relay that publishes to JetStream: each message on `<prefix>.<event type>`, with `Nats-Msg-Id` set to
 * the event id so that JetStream drops one published twice (a relay that died after publishing and before
 * marking its rows publishes them again), and the {@link NATS_HEADERS}. Claims a batch (`batchSize`, default 500)
 * and publishes it without waiting for each acknowledgement (`inFlight`, default 500), and deletes a row only once
 * JetStream has acknowledged its message.
 *
 * The prefix is dot-separated tokens of letters, digits, `_` and `-` (`twofold.events`); anything else (an
 * empty token, a space, `*`, `>`, `$`) is refused with INVALID_ARGUMENT. Event types follow the same rule.
 *
 * @example
 * const relay = natsRelay({
 *   outbox: db.outbox, feed: db.events, jetstream: jetstream(nc), prefix: 'hotel.events', stream: 'HOTEL',
 * });
 * relay.start(); // publishes each commit's events as soon as it lands
 */
export function natsRelay(options: NatsRelayOptions): OutboxRelay {
  const { outbox, jetstream, prefix, stream, ...relay } = options ?? ({} as NatsRelayOptions);
  checkPrefix(prefix, 'natsRelay');
  if (typeof jetstream?.publish !== 'function') {
    throw new InvalidArgumentError('natsRelay: options.jetstream must be a JetStream client (jetstream(nc))');
  }
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidArgumentError('natsRelay: options.stream must name the stream the events go to');
  }
  return new OutboxRelay({
    batchSize: 500,
    inFlight: 500,
    ...relay,
    store: outbox,
    send: async (message) => {
      const subject = subjectOf(prefix, message.topic);
      const h = headers();
      for (const [name, value] of Object.entries(message.headers)) h.set(name, value);
      await jetstream.publish(subject, JSON.stringify(message.payload), {
        msgID: message.id,
        headers: h,
        expect: { streamName: stream },
      });
    },
  });
}
