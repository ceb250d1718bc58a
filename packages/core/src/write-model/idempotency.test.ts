import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { DomainError, isTwofoldError } from '../errors/errors.js';
import { MemoryStore } from '../event-store/memory-store.js';
import type { IdempotencyStore } from '../event-store/ports.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent } from '../messages/define.js';
import { defineDecider } from './models.js';
import { writeModels } from './write-models.js';

const BookRoom = defineCommand('test.BookRoom', z.object({ bookingId: z.string(), roomId: z.string() }), {
  result: z.object({ bookingId: z.string(), status: z.string() }),
});
const CancelBooking = defineCommand('test.CancelBooking', z.object({ bookingId: z.string() }), {
  result: z.object({ bookingId: z.string(), status: z.string() }),
});
const RoomBooked = defineEvent('test.RoomBooked', z.object({ bookingId: z.string(), roomId: z.string() }));
const BookingCancelled = defineEvent('test.BookingCancelled', z.object({ bookingId: z.string() }));

const booking = defineDecider({
  name: 'booking',
  commands: [BookRoom, CancelBooking],
  events: [RoomBooked, BookingCancelled],
  initialState: (): 'none' | 'booked' | 'cancelled' => 'none',
  evolve: (_state, event) => (event.type === 'test.RoomBooked' ? 'booked' : 'cancelled'),
  decide: (command, state) => {
    if (command.type === 'test.BookRoom') {
      if (state !== 'none') throw new DomainError('EXISTS', 'Already booked');
      return [{ type: 'test.RoomBooked', data: command.data }];
    }
    if (state !== 'booked') throw new DomainError('NOT_BOOKED', 'Nothing to cancel');
    return [{ type: 'test.BookingCancelled', data: command.data }];
  },
});

function hotel(options: { readonly store?: MemoryStore; readonly idempotencyRetentionMs?: number } = {}) {
  const store = options.store ?? new MemoryStore();
  const models = writeModels({
    store,
    retryDelayMs: 0,
    ...(options.idempotencyRetentionMs === undefined ? {} : { idempotencyRetentionMs: options.idempotencyRetentionMs }),
  });
  let runs = 0;
  const handler = models.eventSourced(booking, {
    stream: ({ data }) => streamId('booking', data.bookingId),
    result: ({ state, events }: { state: string; events: readonly { data: { bookingId: string } }[] }) => {
      runs++;
      return { bookingId: events[0]?.data.bookingId ?? '', status: state };
    },
  });
  const mediator = createMediator().command(BookRoom, handler).command(CancelBooking, handler);
  return { store, mediator, runs: () => runs };
}

/** Resolves once a prune of `store`'s idempotency records has deleted every one stamped before `at`. */
function prunedPast(store: IdempotencyStore, at: number): Promise<void> {
  const prune = store.pruneIdempotency.bind(store);
  return new Promise((resolve) => {
    store.pruneIdempotency = async (before, limit) => {
      const pruned = await prune(before, limit);
      if (before > at && pruned < limit) resolve();
      return pruned;
    };
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a reused idempotency key', () => {
  it('refuses another payload under a stored key: the command does not run and nothing changes', async () => {
    const { store, mediator, runs } = hotel();
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101' });
    await mediator.send(BookRoom, { bookingId: 'b2', roomId: '102' });
    const first = await mediator.execute(CancelBooking, { bookingId: 'b1' }, { idempotencyKey: 'k' });
    const head = await store.head();
    // Before, this answered the stored position with a result built from b2, and b2 stayed booked.
    const reused = await rejection(mediator.execute(CancelBooking, { bookingId: 'b2' }, { idempotencyKey: 'k' }));
    expect(isTwofoldError(reused, 'IDEMPOTENCY_KEY_REUSED')).toBe(true);
    expect((reused as Error).message).toMatch(/already used for test\.CancelBooking with a different payload/);
    expect(await store.head()).toBe(head);
    expect(await store.streamVersion(streamId('booking', 'b2'))).toBe(1);
    expect(runs()).toBe(3);
    expect(first.replayed).toBe(false);
  });

  it('refuses another command type under a stored key', async () => {
    const { store, mediator } = hotel();
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101' }, { idempotencyKey: 'k' });
    const reused = await rejection(mediator.send(CancelBooking, { bookingId: 'b1' }, { idempotencyKey: 'k' }));
    expect(isTwofoldError(reused, 'IDEMPOTENCY_KEY_REUSED')).toBe(true);
    expect((reused as Error).message).toMatch(/already used for test\.BookRoom, not test\.CancelBooking/);
    expect(await store.streamVersion(streamId('booking', 'b1'))).toBe(1);
  });

  it('replays the stored result and position for the same command, keys in any order', async () => {
    const { mediator, runs } = hotel();
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101' });
    const first = await mediator.execute(CancelBooking, { bookingId: 'b1' }, { idempotencyKey: 'k' });
    const again = await mediator.execute(BookRoom, { roomId: '101', bookingId: 'b9' }, { idempotencyKey: 'b' });
    const repeat = await mediator.execute(CancelBooking, { bookingId: 'b1' }, { idempotencyKey: 'k' });
    expect(repeat).toMatchObject({ result: first.result, position: first.position, replayed: true });
    const reordered = await mediator.execute(BookRoom, { bookingId: 'b9', roomId: '101' }, { idempotencyKey: 'b' });
    expect(reordered).toMatchObject({ result: again.result, position: again.position, replayed: true });
    expect(runs()).toBe(3);
  });

  it('lets one of two different commands racing under one key run, and refuses the other', async () => {
    const { store, mediator } = hotel();
    const outcomes = await Promise.allSettled([
      mediator.send(BookRoom, { bookingId: 'b1', roomId: '101' }, { idempotencyKey: 'k' }),
      mediator.send(BookRoom, { bookingId: 'b2', roomId: '102' }, { idempotencyKey: 'k' }),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected');
    expect(isTwofoldError(refused?.reason, 'IDEMPOTENCY_KEY_REUSED')).toBe(true);
    expect(await store.head()).toBe(1);
  });
});

describe('idempotency retention', () => {
  it('prunes records older than the retention after a later commit; their key then runs anew', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const { store, mediator, runs } = hotel({ idempotencyRetentionMs: 60_000 });
    const pruned = prunedPast(store, 1_000_000);
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101' }, { idempotencyKey: 'old' });
    vi.setSystemTime(1_000_000 + 30_000);
    await mediator.send(BookRoom, { bookingId: 'b2', roomId: '102' }, { idempotencyKey: 'middle' });
    vi.setSystemTime(1_000_000 + 61_000);
    await mediator.send(BookRoom, { bookingId: 'b3', roomId: '103' }, { idempotencyKey: 'new' });
    await pruned;
    expect(await store.find('old')).toBeUndefined();
    expect(await store.find('middle')).toBeDefined();
    expect(await store.find('new')).toBeDefined();
    await mediator.send(BookRoom, { bookingId: 'b4', roomId: '104' }, { idempotencyKey: 'old' });
    expect(runs()).toBe(4);
  });

  it('refuses a retention that is not a positive number of milliseconds', () => {
    const store = new MemoryStore();
    for (const idempotencyRetentionMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => writeModels({ store, idempotencyRetentionMs })).toThrow(/idempotencyRetentionMs/);
    }
  });
});
