// A process manager on an SQLite file across restarts: its timers are in the file, fire after the handle is closed
// and opened again, and fire once; a timer that keeps failing is parked in the file's dead letters.
import { type Logger, PROCESS_TIMER_LETTER, ProcessManagerRunner, streamId, twofold } from '@twofold/core';
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

  it("park a failing timer in the file's dead letters, and replay it from there", async () => {
    const db = sqlite(temp.file('timer-letters'));
    let broken = true;
    const flaky = {
      ...checkout,
      fire: (...args: Parameters<typeof checkout.fire>) => {
        if (broken) throw new Error('the mail service is down');
        return checkout.fire(...args);
      },
    };
    const now = Date.now();
    try {
      await db.events.append(streamId('hold', 'b1'), [
        { type: 'hotel.HoldPlaced', data: { bookingId: 'b1', roomId: '1' } },
      ]);
      const options = { feed: db.events, store: db.processes, deadLetters: db.deadLetters, logger: quiet };
      const runner = new ProcessManagerRunner({ ...options, processManager: flaky, clock: () => now, attempts: 1 });
      await runner.catchUp();
      const later = new ProcessManagerRunner({
        ...options,
        processManager: flaky,
        clock: () => now + 20 * MINUTE,
        attempts: 1,
      });
      expect(await later.fireTimers()).toBe(0);
      // Oldest first: two timers parked in the same millisecond tie, so they are put in the order they fell due.
      const letters = [...(await db.deadLetters.list('hotel.checkout'))].sort(
        (a, b) => (a.event.data as { at: number }).at - (b.event.data as { at: number }).at,
      );
      expect(letters.map((letter) => [letter.event.type, letter.event.data])).toEqual([
        [PROCESS_TIMER_LETTER, { correlation: 'b1', timer: 'remind', at: now + 5 * MINUTE }],
        [PROCESS_TIMER_LETTER, { correlation: 'b1', timer: 'paymentDue', at: now + 15 * MINUTE }],
      ]);
      expect((await db.processes.instance('hotel.checkout', 'b1'))?.timers).toEqual({});
      broken = false;
      for (const letter of letters) await later.replay(letter.id);
      expect(await db.deadLetters.list('hotel.checkout')).toEqual([]);
      // One instance's commands run one after another: each is claimed once the one before has run.
      const types: string[] = [];
      for (let round = 0; round < 3; round++) {
        for (const command of await db.commands.claim({ limit: 10, leaseMs: 1_000, now: Date.now() })) {
          types.push(command.type);
          await db.commands.complete(command.id, command.lease, { result: null, position: undefined }, Date.now());
        }
      }
      expect(types).toEqual(['hotel.RemindGuest', 'hotel.ReleaseHold']);
    } finally {
      await db.close();
    }
  });
});
