import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryDeadLetterStore } from '../dead-letters/memory.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { defineEvent, type EventDefinition, type InputOf } from '../messages/define.js';
import type { GlobalPosition } from '../positions/position.js';
import type { Logger } from '../runtime/logger.js';
import { MemoryCheckpointStore } from './memory.js';
import { SubscriberRunner } from './runner.js';
import { subscriber } from './subscriber.js';

/** The in-memory store, with a terse append for tests. */
class EventLog extends MemoryStore {
  async add<D extends EventDefinition>(event: D, data: InputOf<D>): Promise<GlobalPosition> {
    return (await this.append(streamId('test'), [{ type: event.type, data }])).position!;
  }
}

const BookingCancelled = defineEvent('hotel.BookingCancelled', z.object({ bookingId: z.string(), amount: z.number() }));
const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ bookingId: z.string() }));
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A payment service that is down for some bookings, and records each refund it makes. */
function payments(down: Set<string>) {
  const refunds: string[] = [];
  const calls: { bookingId: string; attempt: number }[] = [];
  const refundsSubscriber = subscriber('billing.refunds').on(BookingCancelled, async ({ bookingId }, { attempt }) => {
    calls.push({ bookingId, attempt });
    if (down.has(bookingId)) throw new Error(`payment service refused ${bookingId}`);
    refunds.push(bookingId);
  });
  return { refundsSubscriber, refunds, calls };
}

function setup(down: Set<string>, attempts = 3, logger = quiet) {
  const log = new EventLog();
  const checkpoints = new MemoryCheckpointStore();
  const deadLetters = new MemoryDeadLetterStore();
  const { refundsSubscriber, refunds, calls } = payments(down);
  const runner = new SubscriberRunner({
    subscriber: refundsSubscriber,
    feed: log,
    checkpoints,
    deadLetters,
    attempts,
    retryDelayMs: 1,
    logger,
  });
  return { log, checkpoints, deadLetters, runner, refunds, calls };
}

describe('SubscriberRunner', () => {
  it('handles each event once, in order, moving its checkpoint, and skips events it does not handle', async () => {
    const { log, checkpoints, runner, refunds } = setup(new Set());
    await log.add(BookingCancelled, { bookingId: 'b1', amount: 10 });
    await log.add(RoomBooked, { bookingId: 'b2' });
    await log.add(BookingCancelled, { bookingId: 'b3', amount: 20 });
    await expect(runner.catchUp()).resolves.toBe(3);
    expect(refunds).toEqual(['b1', 'b3']);
    expect(runner.progress.position).toBe(3);
    expect(await checkpoints.get('billing.refunds')).toBe(3);
    await runner.catchUp();
    expect(refunds).toEqual(['b1', 'b3']);
  });

  it('retries with backoff, then parks the event as a dead letter with its error and moves on', async () => {
    const { log, deadLetters, runner, refunds, calls } = setup(new Set(['b2']));
    await log.add(BookingCancelled, { bookingId: 'b1', amount: 10 });
    await log.add(BookingCancelled, { bookingId: 'b2', amount: 20 });
    await log.add(BookingCancelled, { bookingId: 'b3', amount: 30 });
    await runner.catchUp();
    expect(refunds).toEqual(['b1', 'b3']);
    expect(calls.filter((c) => c.bookingId === 'b2').map((c) => c.attempt)).toEqual([1, 2, 3]);
    const letters = await deadLetters.list('billing.refunds');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ id: 'billing.refunds:2', subscriber: 'billing.refunds', attempts: 3 });
    expect(letters[0]?.event).toMatchObject({
      type: 'hotel.BookingCancelled',
      data: { bookingId: 'b2', amount: 20 },
      position: 2,
    });
    expect(letters[0]?.error).toContain('payment service refused b2');
    expect(await runner.status()).toMatchObject({ position: 3, lagEvents: 0, deadLetters: 1, retrying: undefined });
  });

  it('replays a dead letter once the cause is fixed, and keeps it with the new error while it is not', async () => {
    const down = new Set(['b1']);
    const { log, deadLetters, runner, refunds } = setup(down, 1);
    await log.add(BookingCancelled, { bookingId: 'b1', amount: 10 });
    await runner.catchUp();
    const [letter] = await deadLetters.list();
    await expect(runner.replay(letter!.id)).rejects.toThrow('payment service refused b1');
    expect(await deadLetters.get(letter!.id)).toMatchObject({ attempts: 2 });
    down.clear();
    await runner.replay(letter!.id);
    expect(refunds).toEqual(['b1']);
    expect(await deadLetters.list()).toEqual([]);
    await expect(runner.replay('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('runs in the background, reacting to new events, and shows an event being retried', async () => {
    const down = new Set(['b2']);
    let third!: () => void;
    const retriedThrice = new Promise<void>((resolve) => {
      third = resolve;
    });
    // The runner records the event it retries before it logs the retry.
    const logger = {
      ...quiet,
      warn: (bindings: object) => void ('attempt' in bindings && bindings.attempt === 3 && third()),
    };
    const { log, runner, refunds } = setup(down, 1_000, logger);
    runner.start();
    try {
      const first = await log.add(BookingCancelled, { bookingId: 'b1', amount: 10 });
      await runner.progress.waitFor(first, AbortSignal.timeout(5_000));
      expect(refunds).toEqual(['b1']);
      const second = await log.add(BookingCancelled, { bookingId: 'b2', amount: 10 });
      await retriedThrice;
      expect((await runner.status()).retrying).toMatchObject({ position: second, attempt: 3 });
      down.clear();
      await runner.progress.waitFor(second, AbortSignal.timeout(5_000));
      expect(refunds).toEqual(['b1', 'b2']);
      expect(await runner.status()).toMatchObject({
        running: true,
        retrying: undefined,
        position: 2 as GlobalPosition,
      });
    } finally {
      await runner.stop();
    }
    expect((await runner.status()).running).toBe(false);
  });

  it('checks its arguments', () => {
    const { log, checkpoints, deadLetters } = setup(new Set());
    expect(() => subscriber('bad name')).toThrow(/name must start with a letter/);
    expect(() =>
      subscriber('s')
        .on(RoomBooked, () => {})
        .on(RoomBooked, () => {}),
    ).toThrow(/already handles/);
    const options = { subscriber: subscriber('s'), feed: log, checkpoints, deadLetters };
    expect(() => new SubscriberRunner({ ...options, attempts: 0 })).toThrow(/attempts must be an integer >= 1/);
    expect(() => new SubscriberRunner({ ...options, deadLetters: {} as never })).toThrow(/DeadLetterStore/);
  });

  it('moves its checkpoint past events it does not handle only now and then, and when it stops', async () => {
    const log = new EventLog();
    const writes: GlobalPosition[] = [];
    const inner = new MemoryCheckpointStore();
    const checkpoints = {
      get: (name: string) => inner.get(name),
      set: async (name: string, position: GlobalPosition) => {
        writes.push(position);
        await inner.set(name, position);
      },
    };
    const { refundsSubscriber, refunds } = payments(new Set());
    const runner = new SubscriberRunner({
      subscriber: refundsSubscriber,
      feed: log,
      checkpoints,
      deadLetters: new MemoryDeadLetterStore(),
      logger: quiet,
    });
    runner.start();
    let last = 0 as GlobalPosition;
    for (let i = 0; i < 20; i++) last = await log.add(RoomBooked, { bookingId: `b${i}` });
    await expect.poll(() => runner.progress.position).toBe(last);
    // Twenty events it has no handler for: read, tracked, and not one checkpoint write each.
    expect(writes).toEqual([]);
    const cancelled = await log.add(BookingCancelled, { bookingId: 'b3', amount: 90 });
    await expect.poll(() => refunds).toEqual(['b3']);
    expect(writes).toEqual([cancelled]);
    const after = await log.add(RoomBooked, { bookingId: 'b99' });
    await expect.poll(() => runner.progress.position).toBe(after);
    await runner.stop();
    expect(writes).toEqual([cancelled, after]);
    expect(await inner.get('billing.refunds')).toBe(after);
  });
});
