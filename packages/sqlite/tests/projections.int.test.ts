import {
  type DocumentTx,
  defineEvent,
  type GlobalPosition,
  type InlineDocumentTx,
  inlineProjection,
  type Logger,
  ProjectionRunner,
  projection,
  type StreamId,
  streamId,
} from '@twofold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type SqliteConnection, type SqliteStore, slotTable, sqlite } from '../src/index.js';
import { tempDir } from './temp-dir.js';

const temp = tempDir();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
// The write store and the document store: on one handle when they share the file, else on one handle each.
function stores(writePath = temp.file('write'), readPath = temp.file('read')) {
  const writes = sqlite({ path: writePath, pollIntervalMs: 20 });
  const reads = readPath === writePath ? writes : sqlite(readPath);
  closers.push(
    () => writes.close(),
    () => reads.close(),
  );
  return { events: writes.events, views: reads.documents, writes, reads };
}
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ bookingId: z.string(), roomId: z.string() }));
const BookingCancelled = defineEvent('hotel.BookingCancelled', z.object({ bookingId: z.string() }));
type Booking = { bookingId: string; roomId: string; status: 'booked' | 'cancelled' };

function bookingsView(version = 1) {
  const applied: GlobalPosition[] = [];
  const view = projection<DocumentTx>('bookings', version)
    .on(RoomBooked, ({ bookingId, roomId }, tx, event) => {
      applied.push(event.position);
      tx.collection<Booking>('bookings').put(bookingId, { bookingId, roomId, status: 'booked' });
    })
    .on(BookingCancelled, async ({ bookingId }, tx, event) => {
      applied.push(event.position);
      await tx.collection<Booking>('bookings').update(bookingId, { status: 'cancelled' });
    });
  return { view, applied };
}
// The bookings as an inline projection writes them, inside SQLite's synchronous write transaction.
const inlineBookings = projection<InlineDocumentTx>('bookings').on(RoomBooked, ({ bookingId, roomId }, tx) => {
  const bookings = tx.collection<Booking>('bookings');
  if (bookings.get(bookingId) !== undefined) throw new Error(`Booking ${bookingId} twice`);
  bookings.put(bookingId, { bookingId, roomId, status: 'booked' });
});
const book = (store: SqliteStore, bookingId: string, roomId: string) =>
  store.append(streamId('booking', bookingId), [{ type: RoomBooked.type, data: { bookingId, roomId } }]);

describe('projections over SQLite', () => {
  it('a ProjectionRunner keeps a document read model in its own file up to date, and resumes after a restart', async () => {
    const writePath = temp.file('write');
    const readPath = temp.file('read');
    const first = stores(writePath, readPath);
    first.views.index('bookings', 'bookings', ['roomId']);
    const { view, applied } = bookingsView();
    const runner = new ProjectionRunner({ projection: view, store: first.views, feed: first.events, logger: quiet });
    runner.start();
    try {
      await book(first.events, 'b1', 'r1');
      await book(first.events, 'b2', 'r2');
      const { position } = await first.events.append(streamId('booking', 'b1'), [
        { type: BookingCancelled.type, data: { bookingId: 'b1' } },
      ]);
      await runner.progress.waitFor(position!, AbortSignal.timeout(5_000));
      const bookings = first.views.read(view).collection<Booking>('bookings');
      expect((await bookings.find({ status: 'booked' })).map((b) => b.bookingId)).toEqual(['b2']);
      expect((await bookings.get('b1'))?.status).toBe('cancelled');
      expect(await runner.status()).toMatchObject({ state: 'running', position: 3, lagEvents: 0 });
    } finally {
      await runner.stop();
    }
    await book(first.events, 'b3', 'r1');
    await first.writes.close();
    await first.reads.close();

    const second = stores(writePath, readPath);
    const restarted = new ProjectionRunner({
      projection: view,
      store: second.views,
      feed: second.events,
      logger: quiet,
    });
    expect(await restarted.catchUp()).toBe(4);
    expect(applied).toEqual([1, 2, 3, 4]);
    expect(await second.views.read('bookings').collection<Booking>('bookings').count({ roomId: 'r1' })).toBe(2);
  });

  it('rebuilds a new version beside the active one and swaps it in, dropping the old', async () => {
    const { events, views } = stores();
    for (let i = 1; i <= 30; i++) await book(events, `b${i}`, `r${i % 3}`);
    await new ProjectionRunner({
      projection: bookingsView(1).view,
      store: views,
      feed: events,
      logger: quiet,
    }).catchUp();
    const byRoom = projection<DocumentTx>('bookings', 2).on(RoomBooked, async ({ roomId }, tx) => {
      const rooms = tx.collection<{ count: number }>('rooms');
      rooms.put(roomId, { count: ((await rooms.get(roomId))?.count ?? 0) + 1 });
    });
    const rebuilding: boolean[] = [];
    const servedMeanwhile: Promise<number>[] = [];
    const rebuild = new ProjectionRunner({
      projection: byRoom,
      store: views,
      feed: events,
      batchSize: 7,
      logger: quiet,
      onProgress: (p) => {
        rebuilding.push(p.rebuilding);
        servedMeanwhile.push(views.read('bookings').collection('bookings').count());
      },
    });
    await rebuild.catchUp();
    expect(rebuilding.length).toBeGreaterThan(3);
    // Until the swap, queries read version 1.
    expect(new Set(await Promise.all(servedMeanwhile))).toEqual(new Set([30]));
    expect(await views.activeVersion('bookings')).toBe(2);
    expect(await views.read('bookings').collection('bookings').count()).toBe(0);
    expect(await views.read('bookings').collection('rooms').get('r1')).toEqual({ count: 10 });
  });

  it("applies an inline projection in the command transaction when the read store is on the write store's handle", async () => {
    const path = temp.file('one-file');
    const { events, views } = stores(path, path);
    const view = inlineBookings;
    await book(events, 'b0', 'r0');
    await new ProjectionRunner({ projection: view, store: views.inline, feed: events, logger: quiet }).catchUp();
    const inline = inlineProjection(view, views.inline);
    const committed = await events.commit({
      appends: [
        {
          streamId: 'booking-b1' as StreamId,
          expectedVersion: 'no-stream',
          events: [{ type: RoomBooked.type, data: { bookingId: 'b1', roomId: 'r1' } }],
        },
      ],
      participants: [inline.participant],
    });
    expect((await views.read(view).collection<Booking>('bookings').get('b1'))?.status).toBe('booked');
    expect(await views.checkpoint({ projection: 'bookings', version: 1 })).toBe(committed.position);

    const failing = events.commit({
      appends: [
        {
          streamId: 'booking-b2' as StreamId,
          expectedVersion: 'any',
          events: [{ type: RoomBooked.type, data: { bookingId: 'b2', roomId: 'r1' } }],
        },
      ],
      participants: [
        inline.participant,
        () => {
          throw new Error('outbox failed');
        },
      ],
    });
    await expect(failing).rejects.toThrow('outbox failed');
    expect(await views.read(view).collection('bookings').get('b2')).toBeUndefined();
    expect(await views.checkpoint({ projection: 'bookings', version: 1 })).toBe(2);

    const elsewhere = stores();
    await expect(
      elsewhere.events.commit({
        appends: [
          {
            streamId: 'booking-b3' as StreamId,
            expectedVersion: 'any',
            events: [{ type: RoomBooked.type, data: { bookingId: 'b3', roomId: 'r1' } }],
          },
        ],
        participants: [inlineProjection(view, elsewhere.views.inline).participant],
      }),
    ).rejects.toThrow(/can only apply inline on the write store's own database handle/);
    expect(await elsewhere.events.head()).toBe(0);

    // The same file is not enough: another handle on it has a connection of its own, and transactions of its own.
    const sameFile = sqlite(path);
    closers.push(() => sameFile.close());
    await expect(
      events.commit({
        appends: [
          {
            streamId: 'booking-b4' as StreamId,
            expectedVersion: 'any',
            events: [{ type: RoomBooked.type, data: { bookingId: 'b4', roomId: 'r1' } }],
          },
        ],
        participants: [inlineProjection(view, sameFile.documents.inline).participant],
      }),
    ).rejects.toThrow(/can only apply inline on the write store's own database handle/);
    expect(await events.head()).toBe(2);

    // The transaction cannot wait: a handler that returns a promise is refused, and nothing is written.
    const awaiting = projection<InlineDocumentTx>('awaiting').on(RoomBooked, (async () => {}) as never);
    await expect(
      events.commit({
        appends: [
          {
            streamId: 'booking-b5' as StreamId,
            expectedVersion: 'any',
            events: [{ type: RoomBooked.type, data: { bookingId: 'b5', roomId: 'r1' } }],
          },
        ],
        participants: [inlineProjection(awaiting, views.inline).participant],
      }),
    ).rejects.toThrow(/returned a promise: SQLite transactions are synchronous/);
    expect(await events.head()).toBe(2);
  });

  it('applies a plain SQL projection inline, in the write transaction', async () => {
    const path = temp.file('one-file');
    const db = sqlite(path);
    closers.push(() => db.close());
    const { events, tables } = db;
    tables.define('roomCounts', (db, table) =>
      db.exec(`CREATE TABLE ${table('counts')} (room_id TEXT PRIMARY KEY, n INTEGER)`),
    );
    const COUNTS = slotTable({ projection: 'roomCounts', version: 1 }, 'counts');
    const roomCounts = projection<SqliteConnection>('roomCounts').on(RoomBooked, ({ roomId }, db) => {
      db.prepare(`INSERT INTO ${COUNTS} VALUES (?, 1) ON CONFLICT DO UPDATE SET n = n + 1`).run(roomId);
    });
    await new ProjectionRunner({ projection: roomCounts, store: tables, feed: events, logger: quiet }).catchUp();
    const inline = inlineProjection(roomCounts, tables);
    for (const id of ['b1', 'b2']) {
      await events.commit({
        appends: [
          {
            streamId: streamId('booking', id),
            expectedVersion: 'any',
            events: [{ type: RoomBooked.type, data: { bookingId: id, roomId: 'r1' } }],
          },
        ],
        participants: [inline.participant],
      });
    }
    expect(
      tables.query(roomCounts, (db, table) =>
        db
          .prepare(`SELECT n FROM ${table('counts')}`)
          .pluck()
          .get(),
      ),
    ).toBe(2);
  });
});
