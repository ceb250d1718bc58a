// What every case of the broker bench publishes: `bench.RoomBooked` events whose data is padded to one size, on a
// stream each case has to itself, created with the same settings (ensureStream's defaults: file storage, a
// 120 s duplicate window).
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type OutboxStore, type RecordedEvent, streamId, type WriteStore } from '@twofold/core';
import { ensureStream, natsOutbox } from '@twofold/nats';

export const EVENT_TYPE = 'bench.RoomBooked';

/** The data of booking `n`, padded with a guest name to `bytes` bytes of JSON. */
export function bookingData(n: number, bytes: number) {
  const id = `b${String(n).padStart(8, '0')}`;
  return { bookingId: id, guest: 'g'.repeat(Math.max(0, bytes - 37)) };
}

/** A database as the sending service has it: its write store and the outbox of the same handle. */
export interface Sender<Tx> {
  readonly events: WriteStore<Tx>;
  readonly outbox: OutboxStore<Tx>;
}

/**
 * Commits one event per booking `from`..`from + count - 1` with its outbox row, `perCommit` events per transaction
 * (one stream per transaction); resolves with the events.
 */
export async function commitBookings<Tx>(
  db: Sender<Tx>,
  options: { readonly from: number; readonly count: number; readonly bytes: number; readonly perCommit: number },
): Promise<RecordedEvent[]> {
  const committed: RecordedEvent[] = [];
  const participants = [natsOutbox(db.outbox)];
  for (let start = 0; start < options.count; start += options.perCommit) {
    const size = Math.min(options.perCommit, options.count - start);
    const first = options.from + start;
    const events = Array.from({ length: size }, (_, i) => ({
      type: EVENT_TYPE,
      data: bookingData(first + i, options.bytes),
    }));
    const { events: recorded } = await db.events.commit({
      appends: [{ streamId: streamId('booking', first), expectedVersion: 'no-stream', events }],
      participants,
    });
    committed.push(...recorded);
  }
  return committed;
}

/** Exactly the body natsRelay publishes for `event`, for the raw publisher to send the same bytes. */
export function bodyOf(event: RecordedEvent): string {
  const { streamId: id, streamVersion, data, metadata, timestamp, schemaVersion } = event;
  return JSON.stringify({ streamId: id, streamVersion, data, metadata, timestamp, schemaVersion });
}

let streams = 0;

/** A connection to the bench's server and a fresh stream on it, with its subject prefix. */
export async function freshStream(url: string): Promise<{ nc: NatsConnection; stream: string; prefix: string }> {
  streams++;
  const stream = `BENCH_${streams}`;
  const prefix = `bench${streams}.events`;
  const nc = await connect({ servers: url });
  await ensureStream(await jetstreamManager(nc), { name: stream, prefix });
  return { nc, stream, prefix };
}

/** How many messages the stream holds, and the body and header bytes of its first one. */
export async function storedIn(nc: NatsConnection, stream: string) {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  const first = await jsm.streams.getMessage(stream, { seq: state.first_seq });
  const headerBytes = (first?.header?.keys() ?? []).reduce(
    (sum, key) => sum + key.length + (first?.header?.get(key).length ?? 0) + 4,
    0,
  );
  return { messages: state.messages, bodyBytes: first?.data.length ?? 0, headerBytes };
}

export { jetstream };
