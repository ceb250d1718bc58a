import {
  createMediator,
  defineCommand,
  defineDecider,
  defineEvent,
  type Logger,
  type OutboxMessage,
  OutboxRelay,
  outboxParticipant,
  START,
  streamId,
  writeModels,
} from '@twofold/core';
import { outboxStoreContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir } from '../../tests/temp-dir.js';
import { sqlite } from '../index.js';

const temp = tempDir();
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

outboxStoreContract('SqliteOutbox', () => {
  const db = sqlite(temp.file('contract'));
  return { outbox: db.outbox, store: db.events, close: () => db.close() };
});

const BookRoom = defineCommand('hotel.BookRoom', z.object({ bookingId: z.string(), roomId: z.string() }));
const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ bookingId: z.string(), roomId: z.string() }));
const booking = defineDecider({
  name: 'booking',
  commands: [BookRoom],
  events: [RoomBooked],
  initialState: () => ({ booked: false }),
  evolve: () => ({ booked: true }),
  decide: (command) => [{ type: 'hotel.RoomBooked', data: command.data }],
});

describe('SqliteOutbox', () => {
  it("commits a command's events and its outbox messages together or not at all, and a relay drains them", async () => {
    const path = temp.file('hotel');
    const db = sqlite(path);
    const toBroker = outboxParticipant(db.outbox, (events) =>
      events.map((e) => ({ topic: 'bookings', payload: e.data, id: `m-${e.id}`, headers: { type: e.type } })),
    );
    const refuseRoom13 = (_: unknown, events: readonly { data: unknown }[]) => {
      if (events.some((e) => (e.data as { roomId: string }).roomId === '13')) throw new Error('room 13 is refused');
    };
    const models = writeModels({ store: db.events, participants: [toBroker, refuseRoom13] });
    const hotel = createMediator().command(
      BookRoom,
      models.eventSourced(booking, { stream: ({ data }) => streamId('booking', data.bookingId) }),
    );
    await hotel.execute(BookRoom, { bookingId: 'b1', roomId: '101' });
    await expect(hotel.execute(BookRoom, { bookingId: 'b2', roomId: '13' })).rejects.toThrow('room 13 is refused');
    await hotel.execute(BookRoom, { bookingId: 'b3', roomId: '102' });

    const events = await db.events.readAll(START, 100);
    expect(events.map((e) => e.data)).toEqual([
      { bookingId: 'b1', roomId: '101' },
      { bookingId: 'b3', roomId: '102' },
    ]);
    await db.close();

    // Another handle on the file, as a relay in a process of its own would open it.
    const relayDb = sqlite(path);
    const sent: OutboxMessage[] = [];
    const relay = new OutboxRelay({ store: relayDb.outbox, send: async (m) => void sent.push(m), logger: quiet });
    expect(await relay.drain()).toBe(2);
    expect(sent.map((m) => [m.id, m.topic, m.payload, m.headers])).toEqual(
      events.map((e) => [`m-${e.id}`, 'bookings', e.data, { type: 'hotel.RoomBooked' }]),
    );
    expect(await relay.drain()).toBe(0);
    expect(await relayDb.outbox.claim(10, 60_000)).toEqual([]);
    await relayDb.close();
  });

  it('sends each message once when relays on several handles of the file drain it together, each in order', async () => {
    const path = temp.file('relays');
    const handles = [sqlite(path), sqlite(path), sqlite(path)];
    const total = 300;
    await handles[0]!.events.commit({
      participants: [
        (tx) =>
          handles[0]!.outbox.enqueue(
            tx,
            Array.from({ length: total }, (_, i) => ({ topic: 't', payload: i, id: `m${i}` })),
          ),
      ],
    });
    const seen = new Map<string, number>();
    const orders: number[][] = handles.map(() => []);
    await Promise.all(
      handles.map((db, n) =>
        new OutboxRelay({
          store: db.outbox,
          batchSize: 7,
          logger: quiet,
          send: async (m) => {
            seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
            orders[n]!.push(m.payload as number);
            await new Promise((resolve) => setImmediate(resolve));
          },
        }).drain(),
      ),
    );
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    for (const order of orders) expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(orders.filter((order) => order.length > 0).length).toBeGreaterThan(1);
    await Promise.all(handles.map((db) => db.close()));
  });

  it("refuses a transaction of another handle, even on the same file, and keeps none of that handle's commit", async () => {
    const path = temp.file('two-handles');
    const [one, other] = [sqlite(path), sqlite(path)];
    const commit = other.events.commit({
      participants: [(tx) => one.outbox.enqueue(tx, [{ topic: 't', payload: 1, id: 'm1' }])],
    });
    await expect(commit).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(commit).rejects.toThrow(/use the outbox of the write store's own handle/);
    expect(await one.outbox.claim(10, 60_000)).toEqual([]);
    await Promise.all([one.close(), other.close()]);
  });
});
