/**
 * Twofold over NATS JetStream, for events that go from one service to another. On the sending side,
 * {@link natsOutbox} writes the committed events into the outbox in the command's own transaction and
 * {@link natsRelay} publishes them, one subject per event type, with the event id as `Nats-Msg-Id` so that
 * JetStream drops a message published twice. On the receiving side, a {@link NatsConsumer} takes each message in
 * through the database's inbox, in one transaction with what its handler writes, so a redelivered message is a
 * no-op, and parks a message that keeps failing as a dead letter.
 *
 * @example
 * import { ensureStream, natsOutbox, natsRelay, NatsConsumer } from '@twofold/nats';
 * await ensureStream(await jetstreamManager(nc), { name: 'HOTEL', prefix: 'hotel.events' });
 * const models = writeModels({ store: db.events, participants: [natsOutbox(db.outbox)] });
 * natsRelay({ outbox: db.outbox, feed: db.events, jetstream: jetstream(nc), prefix: 'hotel.events', stream: 'HOTEL' }).start();
 *
 * @module
 */
export { NatsConsumer, type NatsConsumerOptions } from './consumer.js';
export { eventOfOutboxMessage, natsOutbox } from './events.js';
export { NATS_HEADERS } from './headers.js';
export { type NatsRelayOptions, natsRelay } from './relay.js';
export { ensureStream, type StreamOptions } from './stream.js';
