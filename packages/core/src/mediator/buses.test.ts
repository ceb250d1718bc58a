import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError, isTwofoldError, NoHandlerError } from '../errors/errors.js';
import { defineCommand, defineEvent, defineQuery, defineStreamQuery } from '../messages/define.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import type { EventHandlerFailure } from './context.js';
import { createMediator } from './mediator.js';

const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string() }), {
  result: z.object({ bookingId: z.string() }),
});
const CancelBooking = defineCommand('hotel.CancelBooking', z.object({ bookingId: z.string() }));
const FreeRooms = defineQuery('hotel.FreeRooms', z.object({ floor: z.number() }), z.array(z.string()));
const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ roomId: z.string() }));
const AllRooms = defineStreamQuery('hotel.AllRooms', z.object({ count: z.number() }), z.string());

const silent: Logger = consoleLogger('error');
const quiet = () => createMediator({ logger: { ...silent, error: () => {} } });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('command bus', () => {
  it('sends a command to its one handler and resolves to the declared result', async () => {
    const mediator = quiet().command(BookRoom, ({ roomId }) => ({ bookingId: `b-${roomId}` }));
    await expect(mediator.send(BookRoom, { roomId: '7' })).resolves.toEqual({ bookingId: 'b-7' });
  });

  it('refuses a second handler for the same command type, naming it', () => {
    const mediator = quiet().command(BookRoom, () => ({ bookingId: 'x' }));
    expect(() => mediator.command(BookRoom, () => ({ bookingId: 'y' }))).toThrow(
      /'hotel\.BookRoom'.*already registered/,
    );
  });

  it('rejects an unregistered command with NO_HANDLER naming the type', async () => {
    const error = await rejection(quiet().send(CancelBooking, { bookingId: 'b' }));
    expect(error).toBeInstanceOf(NoHandlerError);
    expect((error as NoHandlerError).code).toBe('NO_HANDLER');
    expect((error as Error).message).toContain("'hotel.CancelBooking'");
  });

  it('turns a synchronous throw into a rejection and passes domain errors through untouched', async () => {
    const mediator = quiet().command(CancelBooking, ({ bookingId }) => {
      throw new DomainError('ALREADY_CHECKED_IN', `${bookingId} is checked in`, { bookingId });
    });
    const pending = mediator.send(CancelBooking, { bookingId: 'b-1' });
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('DOMAIN_RULE');
    expect((error as DomainError).rule).toBe('ALREADY_CHECKED_IN');
    expect((error as DomainError).details).toEqual({ bookingId: 'b-1' });
  });

  it('checks its arguments', async () => {
    const mediator = quiet();
    expect(() => mediator.command(FreeRooms as unknown as typeof CancelBooking, () => {})).toThrow(
      /expected a command definition, got the query/,
    );
    expect(() => mediator.command({} as typeof CancelBooking, () => {})).toThrow(/must be a command definition/);
    expect(() => mediator.command(BookRoom, 'handler' as never)).toThrow(/handler must be a function; got string/);
    expect(() => mediator.command(BookRoom, null as never)).toThrow(/got null/);
    const error = await rejection(mediator.send(FreeRooms as never, {} as never));
    expect((error as Error).message).toMatch(/send\(\) takes a command definition; 'hotel.FreeRooms' is a query/);
    expect(isTwofoldError(await rejection(mediator.send(undefined as never, {} as never)), 'INVALID_ARGUMENT')).toBe(
      true,
    );
  });

  it('reports the global position a handler committed through execute()', async () => {
    const mediator = quiet()
      .command(CancelBooking, (_, ctx) => {
        ctx.advance(5 as never);
        ctx.advance(3 as never);
      })
      .command(BookRoom, async (_, ctx) => {
        await ctx.send(CancelBooking, { bookingId: 'inner' });
        return { bookingId: 'outer' };
      });
    await expect(mediator.execute(CancelBooking, { bookingId: 'b' })).resolves.toMatchObject({ position: 5 });
    const executed = await mediator.execute(BookRoom, { roomId: '1' });
    expect(executed.result).toEqual({ bookingId: 'outer' });
    expect(executed.position).toBe(5);
    expect(executed.envelope.type).toBe('hotel.BookRoom');
    await expect(mediator.execute(BookRoom, { roomId: '1' }).then((e) => e.position)).resolves.toBe(5);
    const none = quiet().command(BookRoom, () => ({ bookingId: 'x' }));
    await expect(none.execute(BookRoom, { roomId: '1' }).then((e) => e.position)).resolves.toBeUndefined();
  });
});

describe('query bus', () => {
  it('answers a query from its one handler', async () => {
    const mediator = quiet().query(FreeRooms, ({ floor }) => [`${floor}01`, `${floor}02`]);
    await expect(mediator.ask(FreeRooms, { floor: 3 })).resolves.toEqual(['301', '302']);
  });

  it('refuses a second handler and rejects an unregistered query, naming it', async () => {
    const mediator = quiet().query(FreeRooms, () => []);
    expect(() => mediator.query(FreeRooms, () => [])).toThrow(/'hotel.FreeRooms' is already registered/);
    expect(((await rejection(quiet().ask(FreeRooms, { floor: 1 }))) as Error).message).toContain("'hotel.FreeRooms'");
  });

  it('gives query handlers a context with no write capability', async () => {
    let capabilities: Record<string, string> = {};
    const mediator = quiet()
      .command(BookRoom, () => ({ bookingId: 'x' }))
      .query(FreeRooms, (_, ctx) => {
        const any = ctx as unknown as Record<string, unknown>;
        capabilities = {
          send: typeof any.send,
          publish: typeof any.publish,
          ask: typeof any.ask,
        };
        return [];
      });
    await mediator.ask(FreeRooms, { floor: 1 });
    expect(capabilities).toEqual({ send: 'undefined', publish: 'undefined', ask: 'function' });
  });

  it('lets a query handler ask another query, and the answer flows back', async () => {
    const Count = defineQuery('hotel.Count', z.object({ floor: z.number() }), z.number());
    const mediator = quiet()
      .query(FreeRooms, ({ floor }) => [`${floor}01`])
      .query(Count, async ({ floor }, { ask }) => (await ask(FreeRooms, { floor })).length);
    await expect(mediator.ask(Count, { floor: 2 })).resolves.toBe(1);
  });

  it('validates results against the result schema when asked to', async () => {
    const mediator = createMediator({ validateResults: true }).query(FreeRooms, () => [1, 2] as never);
    const error = await rejection(mediator.ask(FreeRooms, { floor: 1 }));
    expect((error as Error).message).toMatch(/Invalid result for hotel.FreeRooms: 0: /);
    const trusting = quiet().query(FreeRooms, () => [1, 2] as never);
    await expect(trusting.ask(FreeRooms, { floor: 1 })).resolves.toEqual([1, 2]);
  });
});

describe('streaming queries', () => {
  it('streams items from an AsyncIterable handler', async () => {
    const mediator = quiet().query(AllRooms, async function* ({ count }) {
      for (let i = 1; i <= count; i++) yield `room-${i}`;
    });
    const items: string[] = [];
    for await (const item of mediator.stream(AllRooms, { count: 3 })) items.push(item);
    expect(items).toEqual(['room-1', 'room-2', 'room-3']);
  });

  it('closes the handler when the reader stops early', async () => {
    let closed = false;
    const mediator = quiet().query(AllRooms, async function* () {
      try {
        for (let i = 0; ; i++) yield `room-${i}`;
      } finally {
        closed = true;
      }
    });
    for await (const item of mediator.stream(AllRooms, { count: 0 })) if (item === 'room-2') break;
    expect(closed).toBe(true);
  });

  it('tells the caller to use stream() for a streaming query and ask() for a plain one', async () => {
    const mediator = quiet()
      .query(AllRooms, async function* () {})
      .query(FreeRooms, () => []);
    expect(
      ((await rejection(mediator.ask(AllRooms as unknown as typeof FreeRooms, { floor: 1 }))) as Error).message,
    ).toMatch(/read it with stream\(\)/);
    const iterate = async () => {
      for await (const _ of mediator.stream(FreeRooms as unknown as typeof AllRooms, { count: 1 })) {
        // drain
      }
    };
    await expect(iterate()).rejects.toThrow(/read it with ask\(\)/);
  });

  it('validates stream parameters before the handler runs', async () => {
    let ran = false;
    const mediator = quiet().query(AllRooms, async function* () {
      ran = true;
      yield 'x';
    });
    const iterate = async () => {
      for await (const _ of mediator.stream(AllRooms, { count: 'many' } as never)) {
        // drain
      }
    };
    await expect(iterate()).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(ran).toBe(false);
  });

  it('rejects a handler that does not return an AsyncIterable', async () => {
    const mediator = quiet().query(AllRooms, (() => ['a']) as never);
    const iterate = async () => {
      for await (const _ of mediator.stream(AllRooms, { count: 1 })) {
        // drain
      }
    };
    await expect(iterate()).rejects.toThrow(/must return an AsyncIterable/);
  });
});

describe('event bus', () => {
  it('delivers to every handler in registration order with the sequential strategy', async () => {
    const order: string[] = [];
    const mediator = quiet()
      .on(RoomBooked, async ({ roomId }) => {
        // Gives the event loop a turn, in which a handler started alongside would run.
        await new Promise((r) => setImmediate(r));
        order.push(`a:${roomId}`);
      })
      .on(RoomBooked, ({ roomId }) => {
        order.push(`b:${roomId}`);
      });
    await expect(mediator.publish(RoomBooked, { roomId: '1' })).resolves.toEqual({ handlers: 2, failures: [] });
    expect(order).toEqual(['a:1', 'b:1']);
  });

  it('runs handlers concurrently with the parallel strategy', async () => {
    let running = 0;
    let peak = 0;
    const slow = async () => {
      running++;
      peak = Math.max(peak, running);
      // Every handler started alongside this one has started by the next turn of the event loop.
      await new Promise((r) => setImmediate(r));
      running--;
    };
    const mediator = createMediator({ publishStrategy: 'parallel' })
      .on(RoomBooked, slow)
      .on(RoomBooked, slow)
      .on(RoomBooked, slow);
    await mediator.publish(RoomBooked, { roomId: '1' });
    expect(peak).toBe(3);
    peak = 0;
    await mediator.publish(RoomBooked, { roomId: '1' }, { strategy: 'sequential' });
    expect(peak).toBe(1);
  });

  for (const strategy of ['sequential', 'parallel'] as const) {
    it(`${strategy}: a failing handler does not stop the others, and its error is reported`, async () => {
      const reported: EventHandlerFailure[] = [];
      const delivered: string[] = [];
      const boom = new Error('mail server down');
      const mediator = createMediator({ publishStrategy: strategy, onEventHandlerError: (f) => reported.push(f) })
        .on(RoomBooked, () => {
          delivered.push('first');
        })
        .on(
          RoomBooked,
          async () => {
            throw boom;
          },
          { name: 'sendConfirmationMail' },
        )
        .on(RoomBooked, function updateBoard() {
          delivered.push('third');
        });
      const report = await mediator.publish(RoomBooked, { roomId: '9' });
      expect(delivered).toEqual(['first', 'third']);
      expect(report.handlers).toBe(3);
      expect(report.failures).toHaveLength(1);
      expect(report.failures[0]).toMatchObject({ handler: 'sendConfirmationMail', error: boom });
      expect(report.failures[0]?.envelope.type).toBe('hotel.RoomBooked');
      expect(reported).toEqual(report.failures);
    });
  }

  it('logs handler failures at error level by default', async () => {
    const lines: { bindings: object; message: string | undefined }[] = [];
    const logger: Logger = { ...silent, error: (bindings, message) => lines.push({ bindings, message }) };
    const mediator = createMediator({ logger }).on(RoomBooked, function notifyFrontDesk() {
      throw new Error('offline');
    });
    await mediator.publish(RoomBooked, { roomId: '1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.message).toContain("'notifyFrontDesk' failed on hotel.RoomBooked");
    expect(lines[0]?.bindings).toMatchObject({ handler: 'notifyFrontDesk', err: new Error('offline') });
  });

  it('resolves with zero handlers when nobody listens, after validating the event', async () => {
    const mediator = quiet();
    await expect(mediator.publish(RoomBooked, { roomId: '1' })).resolves.toEqual({ handlers: 0, failures: [] });
    await expect(mediator.publish(RoomBooked, { roomId: 1 } as never)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('checks its arguments', async () => {
    expect(() => createMediator({ publishStrategy: 'random' as never })).toThrow(/'sequential' or 'parallel'/);
    expect(() => quiet().on(BookRoom as never, () => {})).toThrow(/expected an event definition, got the command/);
    await expect(quiet().publish(RoomBooked, { roomId: '1' }, { strategy: 'all' as never })).rejects.toThrow(
      /options.strategy must be 'sequential' or 'parallel'/,
    );
  });

  it('lists the registered definitions for transports', () => {
    const mediator = quiet()
      .command(BookRoom, () => ({ bookingId: '' }))
      .query(FreeRooms, () => [])
      .on(RoomBooked, () => {});
    const { commands, queries, events } = mediator.definitions();
    expect(commands.map((d) => d.type)).toEqual(['hotel.BookRoom']);
    expect(queries.map((d) => d.type)).toEqual(['hotel.FreeRooms']);
    expect(events.map((d) => d.type)).toEqual(['hotel.RoomBooked']);
  });
});
