// A process manager on an SQLite file across restarts: its timers are in the file, fire after the handle is closed
// and opened again, and fire once.
import { type Logger, streamId, twofold } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { checkout, checkoutRunner, holds, MINUTE, Pay, PlaceHold } from '../../core/tests/fixtures/checkout.js';
import { sqlite } from '../src/index.js';
import { tempDir } from './temp-dir.js';

const temp = tempDir();
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function app(path: string, clock: () => number) {
  return twofold({ store: sqlite(path), logger: quiet })
    .decider(holds, { stream: ({ data }) => streamId('hold', data.bookingId) })
    .processManager(checkout, { clock, pollIntervalMs: 10 })
    .worker({ pollIntervalMs: 10 });
}

describe('process managers on SQLite', () => {
  it('keep their timers across a restart, and fire each once', async () => {
    const path = temp.file('checkout');
    let now = Date.now();
    const history = async (bookingId: string) => {
      const db = sqlite(path);
      try {
        return (await db.events.readStream(streamId('hold', bookingId))).map((event) => event.type);
      } finally {
        await db.close();
      }
    };

    const first = app(path, () => now);
    await first.start();
    try {
      await first.send(PlaceHold, { bookingId: 'b1', roomId: '101' });
      await first.send(PlaceHold, { bookingId: 'b2', roomId: '102' });
      await first.send(Pay, { bookingId: 'b2', amount: 90 });
      await expect
        .poll(() => first.store.processes?.instance('hotel.checkout', 'b1'), { timeout: 10_000 })
        .toMatchObject({ version: 1 });
      await expect
        .poll(() => history('b2'), { timeout: 10_000 })
        .toEqual(['hotel.HoldPlaced', 'hotel.PaymentReceived', 'hotel.BookingConfirmed']);
    } finally {
      await first.close();
    }

    // Twenty minutes later, in a new process: both of b1's timers are due.
    now += 20 * MINUTE;
    const second = app(path, () => now);
    await second.start();
    try {
      await expect
        .poll(() => history('b1'), { timeout: 10_000 })
        .toEqual(['hotel.HoldPlaced', 'hotel.GuestReminded', 'hotel.HoldReleased']);
    } finally {
      await second.close();
    }

    const db = sqlite(path);
    try {
      expect(await db.processes.instance('hotel.checkout', 'b1')).toEqual({
        state: { bookingId: 'b1', paid: 0 },
        version: 3,
        closed: true,
        timers: {},
      });
      const runner = checkoutRunner(db, () => now + 60 * MINUTE);
      expect(await runner.fireTimers()).toBe(0);
      await runner.catchUp();
      expect(await db.commands.get('hotel.checkout:b1:4:0')).toBeUndefined();
      expect(await db.commands.dead()).toEqual([]);
      expect((await db.commands.get('hotel.checkout:b1:3:0'))?.status).toBe('succeeded');
    } finally {
      await db.close();
    }
    expect(await history('b1')).toEqual(['hotel.HoldPlaced', 'hotel.GuestReminded', 'hotel.HoldReleased']);
  });
});
