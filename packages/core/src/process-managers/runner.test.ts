import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  checkout,
  HoldPlaced,
  MINUTE,
  PaymentReceived,
  ReleaseHold,
  RemindGuest,
} from '../../tests/fixtures/checkout.js';
import { MemoryCommandQueue } from '../command-queue/memory.js';
import { MemoryDeadLetterStore } from '../dead-letters/memory.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { defineEvent, type EventDefinition, type InputOf } from '../messages/define.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { ReadSide } from '../read-side/read-side.js';
import type { Logger } from '../runtime/logger.js';
import { MemoryProcessStore } from './memory.js';
import type { ProcessManager } from './process-manager.js';
import { defineProcessManager } from './process-manager.js';
import { ProcessManagerRunner } from './runner.js';
import { PROCESS_TIMER_LETTER } from './timer-letters.js';

const T0 = 1_700_000_000_000;

/** The in-memory store, with a terse append for tests. */
class EventLog extends MemoryStore {
  async add<D extends EventDefinition>(event: D, data: InputOf<D>): Promise<GlobalPosition> {
    return (await this.append(streamId('test'), [{ type: event.type, data }])).position!;
  }
}

function setup(manager: ProcessManager<any, any, any, any> = checkout) {
  const log = new EventLog();
  const commands = new MemoryCommandQueue();
  const store = new MemoryProcessStore(commands);
  const deadLetters = new MemoryDeadLetterStore();
  const clock = { now: T0 };
  const debug: string[] = [];
  const logger: Logger = { debug: (_, message) => debug.push(String(message)), info() {}, warn() {}, error() {} };
  const runner = (pollIntervalMs = 1_000) =>
    new ProcessManagerRunner({
      pollIntervalMs,
      processManager: manager,
      feed: log,
      store,
      deadLetters,
      clock: () => clock.now,
      retryDelayMs: 1,
      attempts: 2,
      logger,
    });
  /** The commands queued since the last call, type and payload, in enqueue order (each marked succeeded). */
  const sent = async () => {
    const all: { type: string; data: unknown }[] = [];
    for (;;) {
      const claimed = await commands.claim({ limit: 100, leaseMs: 60_000, now: Date.now() });
      if (claimed.length === 0) return all;
      for (const { id, lease, type, data } of claimed) {
        await commands.complete(id, lease, { result: undefined, position: undefined }, Date.now());
        all.push({ type, data });
      }
    }
  };
  return { log, commands, store, deadLetters, clock, debug, runner, sent, logger };
}

/** The checkout whose `remind` timer fails while `broken()` says so, as when the mail service is down. */
function remindFailing(broken: () => boolean = () => true) {
  return {
    ...checkout,
    fire: (...args: Parameters<typeof checkout.fire>) => {
      if (broken() && args[1] === 'remind') throw new Error('the mail service is down');
      return checkout.fire(...args);
    },
  };
}

describe('ProcessManagerRunner', () => {
  it('keeps state per correlation, sends commands through the queue, and closes completed instances', async () => {
    const { log, store, runner, sent, commands, debug } = setup();
    const pm = runner();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await log.add(HoldPlaced, { bookingId: 'b2', roomId: '102' });
    const paid = await log.add(PaymentReceived, { bookingId: 'b1', amount: 90 });
    await expect(pm.catchUp()).resolves.toBe(paid);
    expect(await store.instance('hotel.checkout', 'b1')).toEqual({
      state: { bookingId: 'b1', paid: 90 },
      version: 2,
      closed: true,
      timers: {},
    });
    expect(await store.instance('hotel.checkout', 'b2')).toMatchObject({
      version: 1,
      closed: false,
      timers: { remind: T0 + 5 * MINUTE, paymentDue: T0 + 15 * MINUTE },
    });
    expect(await sent()).toEqual([{ type: 'hotel.ConfirmBooking', data: { bookingId: 'b1' } }]);
    expect(await commands.get('hotel.checkout:b1:2:0')).toMatchObject({
      id: 'hotel.checkout:b1:2:0',
      type: 'hotel.ConfirmBooking',
      data: { bookingId: 'b1' },
      key: 'hotel.checkout:b1',
      envelope: { causationId: (await log.readAll(START, 10))[2]?.id },
    });
    // A payment for a closed instance changes nothing, and says so in the debug log.
    await log.add(PaymentReceived, { bookingId: 'b1', amount: 10 });
    await pm.catchUp();
    expect(await store.instance('hotel.checkout', 'b1')).toMatchObject({ version: 2, state: { paid: 90 } });
    expect(await sent()).toEqual([]);
    expect(debug.some((line) => line.includes('instance b1 is closed'))).toBe(true);
  });

  it('fires each timer once when the clock passes it, and not after the instance completed', async () => {
    const { log, clock, runner, sent, store } = setup();
    const pm = runner();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await log.add(HoldPlaced, { bookingId: 'b2', roomId: '102' });
    await pm.catchUp();
    clock.now = T0 + 5 * MINUTE - 1;
    expect(await pm.fireTimers()).toBe(0);
    clock.now = T0 + 5 * MINUTE;
    expect(await pm.fireTimers()).toBe(2);
    expect(await pm.fireTimers()).toBe(0);
    expect(await sent()).toEqual([
      { type: RemindGuest.type, data: { bookingId: 'b1' } },
      { type: RemindGuest.type, data: { bookingId: 'b2' } },
    ]);
    await log.add(PaymentReceived, { bookingId: 'b2', amount: 90 });
    await pm.catchUp();
    clock.now = T0 + 60 * MINUTE;
    expect(await pm.fireTimers()).toBe(1);
    expect(await sent()).toEqual([
      { type: 'hotel.ConfirmBooking', data: { bookingId: 'b2' } },
      { type: ReleaseHold.type, data: { bookingId: 'b1' } },
    ]);
    expect(await store.instance('hotel.checkout', 'b1')).toMatchObject({ closed: true, timers: {} });
    expect(await store.nextTimer('hotel.checkout')).toBeUndefined();
  });

  it('hands an event to a new runner only if the last one did not commit it: no double effect', async () => {
    const { log, runner, sent } = setup();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await log.add(PaymentReceived, { bookingId: 'b1', amount: 90 });
    await runner().catchUp();
    await runner().catchUp();
    expect(await sent()).toEqual([{ type: 'hotel.ConfirmBooking', data: { bookingId: 'b1' } }]);
  });

  it('applies each event once when two runners of one manager share the store', async () => {
    const { log, runner, sent, store } = setup();
    const [a, b] = [runner(), runner()];
    a.start();
    b.start();
    try {
      for (let i = 0; i < 20; i++) {
        await log.add(HoldPlaced, { bookingId: `b${i}`, roomId: '1' });
        await log.add(PaymentReceived, { bookingId: `b${i}`, amount: 1 });
      }
      await expect.poll(() => store.checkpoint('hotel.checkout'), { timeout: 10_000 }).toBe(40);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const confirmed = (await sent()).map((command) => (command.data as { bookingId: string }).bookingId);
    expect(confirmed.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`).sort());
    for (let i = 0; i < 20; i++) {
      expect(await store.instance('hotel.checkout', `b${i}`)).toMatchObject({ version: 2, state: { paid: 1 } });
    }
  });

  it('fires a timer once when two runners fire timers at the same time', async () => {
    const { log, clock, runner, sent } = setup();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await log.add(HoldPlaced, { bookingId: 'b2', roomId: '102' });
    await runner().catchUp();
    clock.now = T0 + 5 * MINUTE;
    const fired = await Promise.all([runner().fireTimers(), runner().fireTimers(), runner().fireTimers()]);
    expect(fired.reduce((a, b) => a + b)).toBe(2);
    expect((await sent()).map(({ data }) => data)).toEqual([{ bookingId: 'b1' }, { bookingId: 'b2' }]);
  });

  it('shows in progress how far it has handled the log, its instances and checkpoint committed', async () => {
    const { log, runner, store } = setup();
    const pm = runner();
    pm.start();
    try {
      const placed = await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
      const paid = await log.add(PaymentReceived, { bookingId: 'b1', amount: 1 });
      await pm.progress.waitFor(placed, AbortSignal.timeout(5_000));
      expect(await store.instance('hotel.checkout', 'b1')).toBeDefined();
      await pm.progress.waitFor(paid, AbortSignal.timeout(5_000));
      expect(await store.instance('hotel.checkout', 'b1')).toMatchObject({ state: { paid: 1 } });
      expect(await store.checkpoint('hotel.checkout')).toBe(paid);
    } finally {
      await pm.stop();
    }
  });

  it('fires timers on its own while started, as they fall due', async () => {
    const { log, runner, sent, clock, store } = setup();
    const pm = runner(5);
    pm.start();
    try {
      const placed = await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
      await pm.progress.waitFor(placed, AbortSignal.timeout(5_000));
      expect(await store.instance('hotel.checkout', 'b1')).toBeDefined();
      clock.now = T0 + 20 * MINUTE;
      await expect.poll(sent, { timeout: 10_000 }).toEqual([
        { type: RemindGuest.type, data: { bookingId: 'b1' } },
        { type: ReleaseHold.type, data: { bookingId: 'b1' } },
      ]);
    } finally {
      await pm.stop();
    }
  });

  it('parks an event whose handler keeps failing as a dead letter, with nothing of it committed, and goes on', async () => {
    const Broken = defineEvent('test.Broken', z.object({ id: z.string(), bad: z.boolean() }));
    const manager = defineProcessManager({
      name: 'broken',
      events: [Broken],
      commands: [ReleaseHold],
      initialState: () => 0,
      correlate: { 'test.Broken': ({ id }) => id },
      on: {
        'test.Broken': (count, { id, bad }) => {
          if (bad) return { state: count + 1, send: [{ type: 'hotel.ReleaseHold', data: { bookingId: 7 as never } }] };
          return { state: count + 1, send: [{ type: 'hotel.ReleaseHold', data: { bookingId: id } }] };
        },
      },
    });
    const { log, runner, sent, store, deadLetters } = setup(manager);
    await log.add(Broken, { id: 'x', bad: true });
    const last = await log.add(Broken, { id: 'y', bad: false });
    await runner().catchUp();
    const [letter] = await deadLetters.list('broken');
    expect(letter).toMatchObject({ id: 'broken:1', attempts: 2, event: { data: { id: 'x' } } });
    expect(letter?.error).toContain('Invalid payload for hotel.ReleaseHold: bookingId');
    expect(await store.instance('broken', 'x')).toBeUndefined();
    expect(await sent()).toEqual([{ type: 'hotel.ReleaseHold', data: { bookingId: 'y' } }]);
    expect(await store.checkpoint('broken')).toBe(last);
  });

  it('refuses a reaction that names an unknown timer or command, saying where', async () => {
    const manager = defineProcessManager({
      name: 'typo',
      events: [HoldPlaced],
      commands: [ReleaseHold],
      initialState: () => null,
      correlate: { 'hotel.HoldPlaced': (d) => d.bookingId },
      on: { 'hotel.HoldPlaced': () => ({ setTimers: { nope: 1 } as never }) },
    });
    const { log, runner, deadLetters } = setup(manager);
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '1' });
    await runner().catchUp();
    const [letter] = await deadLetters.list('typo');
    expect(letter?.error).toContain("process manager 'typo' on hotel.HoldPlaced at 1: 'nope' is not a timer of 'typo'");
  });

  it('checks its options', () => {
    const { log, store, deadLetters } = setup();
    const options = { processManager: checkout, feed: log, store, deadLetters };
    expect(() => new ProcessManagerRunner({ ...options, processManager: {} as never })).toThrow(/defineProcessManager/);
    expect(() => new ProcessManagerRunner({ ...options, store: {} as never })).toThrow(/ProcessStore/);
    expect(() => new ProcessManagerRunner({ ...options, attempts: 0 })).toThrow(/attempts must be an integer >= 1/);
    expect(() => new ProcessManagerRunner({ ...options, clock: 5 as never })).toThrow(/clock must be a function/);
  });

  it('replays a dead letter once its handler works, without moving the checkpoint; a failing replay keeps it', async () => {
    const Flaky = defineEvent('test.Flaky', z.object({ id: z.string() }));
    let broken = true;
    const manager = defineProcessManager({
      name: 'flaky',
      events: [Flaky],
      commands: [ReleaseHold],
      initialState: () => 0,
      correlate: { 'test.Flaky': ({ id }) => id },
      on: {
        'test.Flaky': (count, { id }) => {
          if (broken) throw new Error('the rates service is down');
          return { state: count + 1, send: [{ type: 'hotel.ReleaseHold', data: { bookingId: id } }] };
        },
      },
    });
    const { log, runner, sent, store, deadLetters } = setup(manager);
    const pm = runner();
    const position = await log.add(Flaky, { id: 'x' });
    await pm.catchUp();
    const [letter] = await deadLetters.list('flaky');
    expect(letter).toMatchObject({ id: 'flaky:1', attempts: 2 });
    await expect(pm.replay('flaky:1')).rejects.toThrow('the rates service is down');
    expect(await deadLetters.get('flaky:1')).toMatchObject({ attempts: 3, error: expect.stringContaining('down') });
    broken = false;
    await pm.replay('flaky:1');
    expect(await deadLetters.list('flaky')).toEqual([]);
    expect(await store.instance('flaky', 'x')).toMatchObject({ state: 1, version: 1 });
    expect(await sent()).toEqual([{ type: 'hotel.ReleaseHold', data: { bookingId: 'x' } }]);
    expect(await store.checkpoint('flaky')).toBe(position);
    await expect(pm.replay('flaky:1')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: "No dead letter 'flaky:1'",
    });
    await deadLetters.add({ ...letter!, id: 'other:1', subscriber: 'other' });
    await expect(pm.replay('other:1')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: "Dead letter 'other:1' belongs to 'other', not 'flaky'",
    });
  });

  it('reports its position, lag, dead letters and next timer, and while started the failure it retries', async () => {
    const { log, runner, store, deadLetters, clock, logger } = setup();
    const pm = runner();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    const head = await log.add(HoldPlaced, { bookingId: 'b2', roomId: '102' });
    expect(await pm.status()).toEqual({
      name: 'hotel.checkout',
      running: false,
      position: START,
      head,
      lagEvents: 2,
      heldBy: undefined,
      failure: undefined,
      deadLetters: 0,
      nextTimer: undefined,
    });
    await pm.catchUp();
    expect(await pm.status()).toMatchObject({ position: head, lagEvents: 0, nextTimer: T0 + 5 * MINUTE });
    // Started, on an event whose handler fails until it is fixed: the failure shows, then clears.
    let broken = true;
    const failing = new ProcessManagerRunner({
      processManager: {
        ...checkout,
        react: (...args: Parameters<typeof checkout.react>) => {
          if (broken) throw new TypeError('no rooms table');
          return checkout.react(...args);
        },
      },
      feed: log,
      store,
      deadLetters,
      clock: () => clock.now,
      retryDelayMs: 1,
      attempts: 1_000_000,
      logger,
    });
    const failed = await log.add(HoldPlaced, { bookingId: 'b3', roomId: '103' });
    const readSide = new ReadSide({ processManagers: [failing] });
    readSide.start();
    try {
      await expect.poll(async () => (await failing.status()).failure?.position).toBe(failed);
      const { processManagers } = await readSide.status();
      expect(processManagers).toEqual([
        expect.objectContaining({
          name: 'hotel.checkout',
          running: true,
          position: head,
          lagEvents: 1,
          failure: {
            error: 'TypeError: no rooms table',
            position: failed,
            timer: undefined,
            since: expect.any(Number),
          },
        }),
      ]);
      broken = false;
      await expect.poll(async () => (await failing.status()).lagEvents).toBe(0);
      expect((await failing.status()).failure).toBeUndefined();
    } finally {
      await readSide.stop();
    }
    expect((await failing.status()).running).toBe(false);
  });

  it('prunes a closed instance once retainClosedMs has passed since it closed, and never an open one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    try {
      const { log, store, deadLetters } = setup();
      const options = { processManager: checkout, feed: log, store, deadLetters, clock: () => T0 };
      const pm = new ProcessManagerRunner({ ...options, retainClosedMs: 60_000 });
      await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
      await log.add(HoldPlaced, { bookingId: 'b2', roomId: '102' });
      await log.add(PaymentReceived, { bookingId: 'b1', amount: 90 });
      await pm.catchUp();
      vi.setSystemTime(T0 + 59_999);
      expect(await pm.prune()).toBe(0);
      expect(await new ProcessManagerRunner(options).prune()).toBe(0);
      vi.setSystemTime(T0 + 60_000);
      expect(await pm.prune()).toBe(1);
      expect(await store.instance('hotel.checkout', 'b1')).toBeUndefined();
      expect(await store.instance('hotel.checkout', 'b2')).toMatchObject({ closed: false });
      expect(() => new ProcessManagerRunner({ ...options, retainClosedMs: 0 })).toThrow(
        'ProcessManagerRunner: options.retainClosedMs must be an integer >= 1; got 0',
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('parks a timer whose handler keeps failing, takes it off its instance, and replays it once it works', async () => {
    let broken = true;
    const flaky = remindFailing(() => broken);
    const { log, clock, runner, sent, store, deadLetters } = setup(flaky);
    const pm = runner();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await pm.catchUp();
    clock.now = T0 + 5 * MINUTE;
    expect(await pm.fireTimers()).toBe(0);
    expect(await deadLetters.list('hotel.checkout')).toEqual([]);
    expect((await pm.status()).failure).toMatchObject({
      error: 'Error: the mail service is down',
      timer: 'remind of b1',
    });
    // The second failure in a row (attempts: 2) parks it.
    expect(await pm.fireTimers()).toBe(0);
    const id = `hotel.checkout:timer:b1:remind:${T0 + 5 * MINUTE}`;
    const [letter] = await deadLetters.list('hotel.checkout');
    expect(letter).toMatchObject({
      id,
      attempts: 2,
      error: expect.stringContaining('the mail service is down'),
      event: { type: PROCESS_TIMER_LETTER, data: { correlation: 'b1', timer: 'remind', at: T0 + 5 * MINUTE } },
    });
    expect((await store.instance('hotel.checkout', 'b1'))?.timers).toEqual({ paymentDue: T0 + 15 * MINUTE });
    expect((await pm.status()).failure).toBeUndefined();
    await expect(pm.replay(id)).rejects.toThrow('the mail service is down');
    expect(await deadLetters.get(id)).toMatchObject({ attempts: 3 });
    broken = false;
    await pm.replay(id);
    expect(await deadLetters.list('hotel.checkout')).toEqual([]);
    expect(await sent()).toEqual([{ type: RemindGuest.type, data: { bookingId: 'b1' } }]);
    expect((await store.instance('hotel.checkout', 'b1'))?.timers).toEqual({ paymentDue: T0 + 15 * MINUTE });
  });

  it("reports a failing timer's own error when its failure cannot be counted, and tries it again", async () => {
    let broken = true;
    const flaky = remindFailing(() => broken);
    const { log, clock, runner, sent, store } = setup(flaky);
    const countable = store.timerFailed.bind(store);
    // The store is away just when the failure would be counted.
    store.timerFailed = () => Promise.reject(new Error('the process store is away'));
    const pm = runner();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await pm.catchUp();
    clock.now = T0 + 5 * MINUTE;
    expect(await pm.fireTimers()).toBe(0);
    expect((await pm.status()).failure).toMatchObject({
      error: 'Error: the mail service is down',
      timer: 'remind of b1',
    });
    expect((await store.instance('hotel.checkout', 'b1'))?.timers).toEqual({
      remind: T0 + 5 * MINUTE,
      paymentDue: T0 + 15 * MINUTE,
    });
    store.timerFailed = countable;
    broken = false;
    expect(await pm.fireTimers()).toBe(1);
    expect(await sent()).toEqual([{ type: RemindGuest.type, data: { bookingId: 'b1' } }]);
    expect((await pm.status()).failure).toBeUndefined();
  });

  it('reports no failure for a timer that changed while its failing handler ran: nothing is left to try again', async () => {
    const failing = remindFailing();
    const { log, clock, runner, store } = setup(failing);
    // The store counts nothing: the timer was fired, cancelled or moved since it was listed.
    store.timerFailed = async () => 0;
    const pm = runner();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await pm.catchUp();
    clock.now = T0 + 5 * MINUTE;
    expect(await pm.fireTimers()).toBe(0);
    expect((await pm.status()).failure).toBeUndefined();
  });

  it('replays a parked timer whose instance has closed since as nothing: its handler does not run, the letter goes', async () => {
    let fired = 0;
    const failing = {
      ...checkout,
      fire: (...args: Parameters<typeof checkout.fire>) => {
        fired++;
        if (args[1] === 'remind') throw new Error('the mail service is down');
        return checkout.fire(...args);
      },
    };
    const { log, clock, runner, sent, store, deadLetters } = setup(failing);
    const pm = runner();
    await log.add(HoldPlaced, { bookingId: 'b1', roomId: '101' });
    await pm.catchUp();
    clock.now = T0 + 5 * MINUTE;
    await pm.fireTimers();
    await pm.fireTimers();
    const [letter] = await deadLetters.list('hotel.checkout');
    expect(letter?.event.type).toBe(PROCESS_TIMER_LETTER);
    await log.add(PaymentReceived, { bookingId: 'b1', amount: 90 });
    await pm.catchUp();
    expect(await store.instance('hotel.checkout', 'b1')).toMatchObject({ closed: true });
    await sent();
    const firedBefore = fired;
    await pm.replay(letter!.id);
    expect(fired).toBe(firedBefore);
    expect(await deadLetters.list('hotel.checkout')).toEqual([]);
    expect(await sent()).toEqual([]);
  });
});
