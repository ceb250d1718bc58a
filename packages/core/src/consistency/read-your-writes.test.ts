import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConsistencyTimeoutError } from '../errors/errors.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineQuery } from '../messages/define.js';
import { authorize } from '../middleware/authorize.js';
import { type GlobalPosition, globalPosition } from '../positions/position.js';
import { PositionTracker } from './position-tracker.js';

const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string() }));
const Bookings = defineQuery('hotel.Bookings', z.object({}), z.array(z.string()));

/** A log of bookings with a read model that applies it asynchronously, when `catchUp()` is called. */
function hotel(options: { consistencyTimeout?: number } = {}) {
  const log: string[] = [];
  const view: string[] = [];
  const progress = new PositionTracker('bookingsView');
  // Every wait the query starts, to tell a query that waited from one that did not.
  const waits: number[] = [];
  let waited = () => {};
  const read = {
    name: progress.name,
    waitFor: (position: GlobalPosition, signal: AbortSignal) => {
      waits.push(position);
      waited();
      return progress.waitFor(position, signal);
    },
  };
  const mediator = createMediator(options)
    .command(BookRoom, ({ roomId }, ctx) => {
      log.push(roomId);
      ctx.advance(globalPosition(log.length));
    })
    .query(Bookings, () => [...view], { reads: [read] });
  return {
    mediator,
    progress,
    waits,
    /** Resolves when a query next starts to wait for the read model. */
    waiting: () =>
      new Promise<void>((resolve) => {
        waited = resolve;
      }),
    /** Applies what the log holds and the read model does not yet. */
    catchUp: () => {
      view.push(...log.slice(view.length));
      progress.advanceTo(globalPosition(log.length));
    },
  };
}

describe('read-your-writes', () => {
  it('waits for the read models a query reads to pass the position of the write', async () => {
    const { mediator, waiting, catchUp } = hotel();
    const { position } = await mediator.execute(BookRoom, { roomId: '101' });
    expect(position).toBe(1);
    await expect(mediator.ask(Bookings, {})).resolves.toEqual([]);
    const waited = waiting();
    const answer = mediator.ask(Bookings, {}, { after: position! });
    await waited;
    catchUp();
    await expect(answer).resolves.toEqual(['101']);
  });

  it('does not wait when the read model has already passed the position', async () => {
    const { mediator, progress } = hotel();
    progress.advanceTo(globalPosition(10));
    // Answered within the turn it was asked in: before a timer set then, and so before anything could wake it.
    const order: string[] = [];
    const timer = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => void order.push('timer'));
    await mediator.ask(Bookings, {}, { after: globalPosition(3) }).then(() => void order.push('answered'));
    await timer;
    expect(order).toEqual(['answered', 'timer']);
  });

  it('fails with CONSISTENCY_TIMEOUT naming the lagging read model, or answers stale when allowed', async () => {
    const { mediator } = hotel({ consistencyTimeout: 30 });
    const { position } = await mediator.execute(BookRoom, { roomId: '101' });
    const error = await mediator.ask(Bookings, {}, { after: position! }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsistencyTimeoutError);
    expect(error).toMatchObject({ code: 'CONSISTENCY_TIMEOUT', after: 1, lagging: ['bookingsView'] });
    await expect(mediator.ask(Bookings, {}, { after: position!, allowStale: true })).resolves.toEqual([]);
  });

  it('bounds the wait by the dispatch deadline too', async () => {
    const { mediator, progress } = hotel();
    const { position } = await mediator.execute(BookRoom, { roomId: '101' });
    await expect(mediator.ask(Bookings, {}, { after: position!, timeout: 30 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    // It gave up before the read model caught up, and before the consistency timeout (CONSISTENCY_TIMEOUT).
    expect(progress.position).toBe(0);
  });

  it('authorizes before waiting, so a refused caller never waits', async () => {
    const { mediator, waits } = hotel();
    mediator.use(authorize({ commands: () => true, queries: () => false }));
    await expect(mediator.ask(Bookings, {}, { after: globalPosition(5) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(waits).toEqual([]);
  });

  it('checks its arguments', async () => {
    const { mediator } = hotel();
    await expect(mediator.ask(Bookings, {}, { after: -1 as GlobalPosition })).rejects.toThrow(
      'options.after must be a global position',
    );
    expect(() =>
      mediator.query(defineQuery('x.Q', z.object({}), z.number()), () => 1, { reads: [{}] as never }),
    ).toThrow(/options.reads must be an array of read models/);
    expect(() => createMediator({ consistencyTimeout: -5 })).toThrow(/consistencyTimeout/);
    expect(() => new PositionTracker('')).toThrow(/non-empty/);
  });
});

describe('PositionTracker', () => {
  it('asks the log for its ceiling only for a position above the highest ceiling it has seen', async () => {
    const asked: number[] = [];
    let head = 10;
    const progress = new PositionTracker('view', {
      ceiling: async () => {
        asked.push(head);
        return globalPosition(head);
      },
    });
    const signal = new AbortController().signal;
    const first = progress.waitFor(globalPosition(5), signal);
    progress.advanceTo(globalPosition(5));
    await first;
    const second = progress.waitFor(globalPosition(9), signal);
    expect(asked).toEqual([10]);
    head = 12;
    const third = progress.waitFor(globalPosition(11), signal);
    await expect(progress.waitFor(globalPosition(13), signal)).rejects.toMatchObject({
      code: 'POSITION_AHEAD_OF_LOG',
    });
    progress.advanceTo(globalPosition(11));
    await Promise.all([second, third]);
    expect(asked).toEqual([10, 12, 12]);
  });

  it('wakes each waiter once its position is reached, never moves backwards, and honours abort', async () => {
    const tracker = new PositionTracker('view');
    const woken: number[] = [];
    const controller = new AbortController();
    const waits = [3, 1, 2].map((p) =>
      tracker.waitFor(globalPosition(p), controller.signal).then(() => {
        woken.push(p);
      }),
    );
    const aborted = tracker.waitFor(globalPosition(9), controller.signal);
    tracker.advanceTo(globalPosition(2));
    tracker.advanceTo(globalPosition(1));
    await Promise.resolve();
    expect(woken.sort()).toEqual([1, 2]);
    expect(tracker.position).toBe(2);
    tracker.advanceTo(globalPosition(3));
    await Promise.all(waits);
    expect(woken.sort()).toEqual([1, 2, 3]);
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
  });
});
