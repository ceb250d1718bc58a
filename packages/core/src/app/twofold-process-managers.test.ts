import { describe, expect, it } from 'vitest';
import { checkout, holds, MINUTE, Pay, PlaceHold } from '../../tests/fixtures/checkout.js';
import { memory } from '../database/memory.js';
import { streamId } from '../event-store/records.js';
import type { Logger } from '../runtime/logger.js';
import { twofold } from './twofold.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('Twofold.processManager', () => {
  it('runs a process manager from start() to close(): its commands run through the queue, its timers fire', async () => {
    const db = memory();
    const clock = { now: Date.now() };
    const app = twofold({ store: db, logger: quiet })
      .decider(holds, { stream: ({ data }) => streamId('hold', data.bookingId) })
      .processManager(checkout, { clock: () => clock.now, pollIntervalMs: 5 })
      .worker({ pollIntervalMs: 5 });
    await app.start();
    const types = async (bookingId: string) =>
      (await db.events.readStream(streamId('hold', bookingId))).map((event) => event.type);
    try {
      await app.send(PlaceHold, { bookingId: 'b1', roomId: '101' });
      await app.send(PlaceHold, { bookingId: 'b2', roomId: '102' });
      await app.send(Pay, { bookingId: 'b2', amount: 90 });
      await expect
        .poll(() => types('b2'), { timeout: 10_000 })
        .toEqual(['hotel.HoldPlaced', 'hotel.PaymentReceived', 'hotel.BookingConfirmed']);
      await expect.poll(() => db.processes.instance('hotel.checkout', 'b1'), { timeout: 10_000 }).toBeDefined();
      clock.now += 20 * MINUTE;
      await expect
        .poll(() => types('b1'), { timeout: 10_000 })
        .toEqual(['hotel.HoldPlaced', 'hotel.GuestReminded', 'hotel.HoldReleased']);
    } finally {
      await app.close();
    }
    expect(await db.processes.instance('hotel.checkout', 'b1')).toMatchObject({ closed: true, timers: {} });
  });

  it('refuses a second process manager of one name, and a database without a process store', () => {
    const app = twofold({ store: memory(), logger: quiet }).processManager(checkout);
    expect(() => app.processManager(checkout)).toThrow(
      "processManager('hotel.checkout'): a process manager of that name is registered",
    );
    const { processes: _, ...withoutStore } = memory();
    expect(() => twofold({ store: withoutStore, logger: quiet }).processManager(checkout)).toThrow(
      "processManager(): this app's database has no store for process managers",
    );
  });
});
