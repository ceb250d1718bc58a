import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { defineEvent, type EventDefinition, type InputOf } from '../messages/define.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { ReadSide } from '../read-side/read-side.js';
import type { Logger } from '../runtime/logger.js';
import type { DocumentTx } from './documents.js';
import { MemoryDocumentStore } from './memory-store.js';
import { projection } from './projection.js';
import { ProjectionRunner } from './runner.js';

/** The in-memory store, with a terse append for tests. */
class EventLog extends MemoryStore {
  async add<D extends EventDefinition>(event: D, data: InputOf<D>): Promise<GlobalPosition> {
    return (await this.append(streamId('test'), [{ type: event.type, data }])).position!;
  }
}

const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ bookingId: z.string(), roomId: z.string() }));
const BookingCancelled = defineEvent('hotel.BookingCancelled', z.object({ bookingId: z.string() }));
const GuestRenamed = defineEvent('hotel.GuestRenamed', z.object({ name: z.string() }));

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function bookings(fail: { on?: string | undefined } = {}) {
  let applied = 0;
  const view = projection<DocumentTx>('bookings')
    .on(RoomBooked, ({ bookingId, roomId }, tx) => {
      if (bookingId === fail.on) throw new Error(`cannot project ${bookingId}`);
      applied++;
      tx.collection('bookings').put(bookingId, { bookingId, roomId, status: 'booked' });
    })
    .on(BookingCancelled, async ({ bookingId }, tx) => {
      applied++;
      await tx.collection('bookings').update(bookingId, { status: 'cancelled' });
    });
  return { view, applied: () => applied };
}

describe('ProjectionRunner', () => {
  it('catches up in batches, moving the checkpoint with the read model, and skips events it does not handle', async () => {
    const log = new EventLog();
    for (let i = 1; i <= 25; i++) await log.add(RoomBooked, { bookingId: `b${i}`, roomId: `r${i % 3}` });
    await log.add(GuestRenamed, { name: 'x' });
    await log.add(BookingCancelled, { bookingId: 'b2' });
    const store = new MemoryDocumentStore();
    const { view, applied } = bookings();
    const runner = new ProjectionRunner({ projection: view, store, feed: log, batchSize: 10, logger: quiet });

    await expect(runner.catchUp()).resolves.toBe(27);
    expect(applied()).toBe(26);
    expect(await store.checkpoint({ projection: 'bookings', version: 1 })).toBe(27);
    expect(await store.activeVersion('bookings')).toBe(1);
    expect(runner.progress.position).toBe(27);
    expect(await store.read('bookings').collection('bookings').count()).toBe(25);
    expect(await store.read('bookings').collection('bookings').get('b2')).toEqual({
      bookingId: 'b2',
      roomId: 'r2',
      status: 'cancelled',
    });
    expect((await store.read('bookings').collection('bookings').find({ roomId: 'r0', status: 'booked' })).length).toBe(
      8,
    );
    await expect(runner.catchUp()).resolves.toBe(27);
    expect(applied()).toBe(26);
  });

  it('keeps up with new events once started, and wakes queries waiting for a position', async () => {
    const log = new EventLog();
    const store = new MemoryDocumentStore();
    const runner = new ProjectionRunner({ projection: bookings().view, store, feed: log, logger: quiet });
    runner.start();
    try {
      const position = await log.add(RoomBooked, { bookingId: 'b1', roomId: 'r1' });
      await runner.progress.waitFor(position, AbortSignal.timeout(5_000));
      expect(await store.read('bookings').collection('bookings').get('b1')).toMatchObject({ status: 'booked' });
      expect(await runner.status()).toMatchObject({ state: 'running', position: 1, head: 1, lagEvents: 0, lagMs: 0 });
    } finally {
      await runner.stop();
    }
    expect((await runner.status()).state).toBe('stopped');
  });

  it('stops at a failing event with its error visible, keeps what came before, and resumes once fixed', async () => {
    const log = new EventLog();
    await log.add(RoomBooked, { bookingId: 'b1', roomId: 'r1' });
    await log.add(RoomBooked, { bookingId: 'poison', roomId: 'r1' });
    await log.add(RoomBooked, { bookingId: 'b3', roomId: 'r1' });
    const fail = { on: 'poison' as string | undefined };
    const store = new MemoryDocumentStore();
    const other = new MemoryDocumentStore();
    const logged = logLines();
    const failing = new ProjectionRunner({
      projection: bookings(fail).view,
      store,
      feed: log,
      retryDelayMs: 5,
      logger: logged.logger,
    });
    const healthy = new ProjectionRunner({ projection: bookings().view, store: other, feed: log, logger: quiet });
    const failed = logged.line('Projection bookings failed');
    failing.start();
    healthy.start();
    try {
      await healthy.progress.waitFor(3 as GlobalPosition, AbortSignal.timeout(5_000));
      await failed;
      const status = await failing.status();
      expect(status).toMatchObject({ state: 'failing', position: 1, head: 3, lagEvents: 2 });
      expect(status.failure?.position).toBe(2);
      expect(String(status.failure?.error)).toContain('cannot project poison');
      expect(status.lagMs).toBeGreaterThanOrEqual(0);
      expect(
        (await store.read('bookings').collection('bookings').find()).map((b) => (b as { bookingId: string }).bookingId),
      ).toEqual(['b1']);
      expect(await other.read('bookings').collection('bookings').count()).toBe(3);

      // While stopped, a wait beyond the failing event is turned away at once rather than left to time out.
      await expect(failing.progress.waitFor(3 as GlobalPosition, AbortSignal.timeout(5_000))).rejects.toMatchObject({
        code: 'PROJECTION_STOPPED',
        projection: 'bookings',
        position: 1,
      });
      fail.on = undefined;
      await logged.line('Projection bookings runs again after its failure at position 2');
      await failing.progress.waitFor(3 as GlobalPosition, AbortSignal.timeout(5_000));
      expect(await failing.status()).toMatchObject({ state: 'running', failure: undefined, lagEvents: 0 });
      expect(await store.read('bookings').collection('bookings').count()).toBe(3);
    } finally {
      await Promise.all([failing.stop(), healthy.stop()]);
    }
  });

  it('applies a batch all or nothing: a throwing handler leaves no partial change behind', async () => {
    const store = new MemoryDocumentStore();
    const slot = { projection: 'p', version: 1 };
    await store.activate(slot);
    await expect(
      store.commit(slot, START, 2 as GlobalPosition, (tx) => {
        tx.collection('c').put('a', { n: 1 });
        throw new Error('half way');
      }),
    ).rejects.toThrow('half way');
    expect(await store.read('p').collection('c').count()).toBe(0);
    expect(await store.checkpoint(slot)).toBe(START);
  });

  it('rebuilds a new version beside the active one, and swaps it in once caught up', async () => {
    const log = new EventLog();
    for (let i = 1; i <= 40; i++) await log.add(RoomBooked, { bookingId: `b${i}`, roomId: `r${i % 4}` });
    const store = new MemoryDocumentStore();
    await new ProjectionRunner({ projection: bookings().view, store, feed: log, logger: quiet }).catchUp();

    const byRoom = projection<DocumentTx>('bookings', 2).on(RoomBooked, async ({ roomId }, tx) => {
      const rooms = tx.collection<{ roomId: string; count: number }>('rooms');
      const room = (await rooms.get(roomId)) ?? { roomId, count: 0 };
      rooms.put(roomId, { ...room, count: room.count + 1 });
    });
    const seenDuringRebuild: Promise<number>[] = [];
    const progress: { position: number; rebuilding: boolean; eta: number }[] = [];
    const rebuild = new ProjectionRunner({
      projection: byRoom,
      store,
      feed: log,
      batchSize: 10,
      logger: quiet,
      onProgress: (p) => {
        progress.push({ position: p.position, rebuilding: p.rebuilding, eta: p.etaMs });
        seenDuringRebuild.push(store.read('bookings').collection('bookings').count());
        expect(p.eventsPerSecond).toBeGreaterThan(0);
      },
    });
    await rebuild.catchUp();
    expect(await Promise.all(seenDuringRebuild)).toEqual([40, 40, 40, 40]);
    expect(progress.map((p) => p.position)).toEqual([10, 20, 30, 40]);
    expect(progress.every((p) => p.rebuilding)).toBe(true);
    expect(progress.at(-1)?.eta).toBe(0);
    expect(await store.activeVersion('bookings')).toBe(2);
    expect(await store.read('bookings').collection('bookings').count()).toBe(0);
    expect(await store.read('bookings').collection('rooms').get('r1')).toEqual({ roomId: 'r1', count: 10 });
    expect(rebuild.progress.position).toBe(40);

    const stale = new ProjectionRunner({ projection: bookings().view, store, feed: log, logger: quiet });
    await expect(stale.catchUp()).rejects.toThrow('version 2 is active, but this code has version 1');
  });

  it('refuses a commit from a runner whose checkpoint is stale, so no event is applied twice', async () => {
    const log = new EventLog();
    await log.add(RoomBooked, { bookingId: 'b1', roomId: 'r1' });
    const store = new MemoryDocumentStore();
    const { view, applied } = bookings();
    await new ProjectionRunner({ projection: view, store, feed: log, logger: quiet }).catchUp();
    await expect(
      store.commit({ projection: 'bookings', version: 1 }, START, 1 as GlobalPosition, () => {}),
    ).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
    });
    expect(applied()).toBe(1);
  });

  it('re-reads its checkpoint after another runner moved it, and goes on from there', async () => {
    const log = new EventLog();
    const b1 = await log.add(RoomBooked, { bookingId: 'b1', roomId: 'r1' });
    const store = new MemoryDocumentStore();
    const { view, applied } = bookings();
    const runner = new ProjectionRunner({ projection: view, store, feed: log, logger: quiet, retryDelayMs: 1 });
    runner.start();
    await expect.poll(() => store.checkpoint({ projection: 'bookings', version: 1 })).toBe(b1);
    // Another node applies the next event first.
    await store.commit({ projection: 'bookings', version: 1 }, b1, (b1 + 1) as GlobalPosition, (tx) =>
      tx.collection('bookings').put('b2', { bookingId: 'b2', roomId: 'r2', status: 'by another node' }),
    );
    await log.add(RoomBooked, { bookingId: 'b2', roomId: 'r2' });
    const b3 = await log.add(RoomBooked, { bookingId: 'b3', roomId: 'r3' });
    await expect.poll(() => store.checkpoint({ projection: 'bookings', version: 1 })).toBe(b3);
    await runner.stop();
    const rows = await store.read('bookings').collection<{ status: string }>('bookings').find();
    expect(rows.map((r) => r.status)).toEqual(['booked', 'by another node', 'booked']);
    // The store refused the stale batch before its handlers ran: this runner applied b1 and b3 only.
    expect((await runner.status()).state).not.toBe('failing');
    expect(applied()).toBe(2);
  });

  it('checks its arguments', () => {
    const log = new EventLog();
    const store = new MemoryDocumentStore();
    expect(() => projection('')).toThrow(/name must start with a letter/);
    expect(() => projection('p', 0)).toThrow(/version must be an integer >= 1/);
    expect(() =>
      projection('p')
        .on(RoomBooked, () => {})
        .on(RoomBooked, () => {}),
    ).toThrow(/already handles/);
    expect(() => projection('p').on({} as never, () => {})).toThrow(/must be an event definition/);
    expect(() => new ProjectionRunner({ projection: {} as never, store, feed: log })).toThrow(/options.projection/);
    expect(() => new ProjectionRunner({ projection: bookings().view, store, feed: log, batchSize: 0 })).toThrow(
      /batchSize must be an integer >= 1/,
    );
  });
});

/** A logger that drops every line, and awaits a line's first logging after {@link line} was asked for it. */
function logLines() {
  const waiting = new Map<string, () => void>();
  const log = (_bindings: object, message?: string) => {
    if (message !== undefined) waiting.get(message)?.();
  };
  return {
    logger: { debug: log, info: log, warn: log, error: log } satisfies Logger,
    line: (message: string) => new Promise<void>((resolve) => waiting.set(message, resolve)),
  };
}

describe('ReadSide', () => {
  it('starts, lists and stops every projection and subscriber together', async () => {
    const log = new EventLog();
    await log.add(RoomBooked, { bookingId: 'b1', roomId: 'r1' });
    const fast = new ProjectionRunner({
      projection: bookings().view,
      store: new MemoryDocumentStore(),
      feed: log,
      logger: quiet,
    });
    const other = projection<DocumentTx>('rooms').on(RoomBooked, () => {});
    const second = new ProjectionRunner({
      projection: other,
      store: new MemoryDocumentStore(),
      feed: log,
      logger: quiet,
    });
    const readSide = new ReadSide({ projections: [fast, second] });
    readSide.start();
    try {
      await fast.progress.waitFor(1 as GlobalPosition, AbortSignal.timeout(5_000));
      await second.progress.waitFor(1 as GlobalPosition, AbortSignal.timeout(5_000));
      const status = await readSide.status();
      expect(status.projections.map((p) => [p.name, p.position, p.lagEvents])).toEqual([
        ['bookings', 1, 0],
        ['rooms', 1, 0],
      ]);
      expect(status.subscribers).toEqual([]);
    } finally {
      await readSide.stop();
    }
    expect((await readSide.status()).projections.map((p) => p.state)).toEqual(['stopped', 'stopped']);
    expect(() => new ReadSide({ projections: [fast, fast] })).toThrow("two runners are named 'bookings'");
    for (const [option, value] of [
      ['projections', fast],
      ['subscribers', [fast, {}]],
      ['processManagers', 'hotel.holds'],
    ] as const) {
      expect(() => new ReadSide({ [option]: value as never })).toThrow(
        `ReadSide: options.${option} must be an array of runners (name, start, stop, status)`,
      );
    }
  });
});
