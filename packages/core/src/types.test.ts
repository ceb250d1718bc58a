// Type behaviour users rely on. `tsc --noEmit` (part of `npm test`) checks this file: every
// `@ts-expect-error` below must meet an error, or the type check fails.
import * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyMiddlewareContext,
  type CommandMiddlewareContext,
  createMediator,
  defineCommand,
  defineEvent,
  defineQuery,
  defineStreamQuery,
  type InputOf,
  type Middleware,
  type PayloadOf,
  type PublishReport,
  type QueryMiddlewareContext,
  type ResultOf,
} from './index.js';

const RoomView = z.object({ roomId: z.string(), price: z.number() });
const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string(), nights: z.coerce.number() }), {
  result: z.object({ bookingId: z.string() }),
});
const CancelBooking = defineCommand('hotel.CancelBooking', v.object({ bookingId: v.string() }));
const FreeRooms = defineQuery('hotel.FreeRooms', z.object({ from: z.string() }), z.array(RoomView));
const AllRooms = defineStreamQuery('hotel.AllRooms', z.object({}), RoomView);
const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ roomId: z.string() }));

const mediator = createMediator()
  .command(BookRoom, ({ roomId }) => ({ bookingId: roomId }))
  .command(CancelBooking, () => {})
  .query(FreeRooms, () => [{ roomId: '1', price: 90 }])
  .query(AllRooms, async function* () {
    yield { roomId: '1', price: 90 };
  });

describe('type inference', () => {
  it('types payloads from the schema: input for callers, output for handlers', () => {
    expectTypeOf<InputOf<typeof BookRoom>>().toEqualTypeOf<{ roomId: string; nights: unknown }>();
    expectTypeOf<PayloadOf<typeof BookRoom>>().toEqualTypeOf<{ roomId: string; nights: number }>();
    expectTypeOf<PayloadOf<typeof CancelBooking>>().toEqualTypeOf<{ bookingId: string }>();
  });

  it('makes a wrong payload a compile error', () => {
    const typeOnly = () => {
      // @ts-expect-error roomId must be a string
      void mediator.send(BookRoom, { roomId: 7, nights: 1 });
      // @ts-expect-error nights is missing
      void mediator.send(BookRoom, { roomId: '7' });
      // @ts-expect-error an unknown field on a valibot schema
      void mediator.send(CancelBooking, { bookingId: 'b', extra: true });
      // @ts-expect-error a query is not a command
      void mediator.send(FreeRooms, { from: '2026-01-01' });
      // @ts-expect-error a command is not a query
      void mediator.ask(BookRoom, { roomId: '1', nights: 1 });
      // @ts-expect-error a streaming query is read with stream(), not ask()
      void mediator.ask(AllRooms, {});
    };
    expectTypeOf(typeOnly).toBeFunction();
  });

  it("returns the handler's declared result from send, and void without a result schema", () => {
    expectTypeOf(mediator.send(BookRoom, { roomId: '1', nights: 2 })).resolves.toEqualTypeOf<{ bookingId: string }>();
    expectTypeOf(mediator.send(CancelBooking, { bookingId: 'b' })).resolves.toEqualTypeOf<void>();
    expectTypeOf(mediator.execute(BookRoom, { roomId: '1', nights: 2 }))
      .resolves.toHaveProperty('result')
      .toEqualTypeOf<{
        bookingId: string;
      }>();
    // @ts-expect-error the handler must return the declared result
    mediator.command(defineCommand('x.Y', z.object({}), { result: z.number() }), () => 'not a number');
  });

  it("types a query's result as its result schema's output", () => {
    expectTypeOf<ResultOf<typeof FreeRooms>>().toEqualTypeOf<{ roomId: string; price: number }[]>();
    expectTypeOf(mediator.ask(FreeRooms, { from: '2026-01-01' })).resolves.toEqualTypeOf<
      { roomId: string; price: number }[]
    >();
    expectTypeOf(mediator.stream(AllRooms, {})).toEqualTypeOf<AsyncIterable<{ roomId: string; price: number }>>();
    // @ts-expect-error the handler must return the result schema's type
    mediator.query(defineQuery('x.Q', z.object({}), z.array(z.string())), () => [1, 2]);
  });

  it('gives query handlers no write capability, and command handlers both', () => {
    createMediator()
      .query(defineQuery('x.Q', z.object({}), z.number()), (_, ctx) => {
        expectTypeOf(ctx).not.toHaveProperty('send');
        expectTypeOf(ctx).not.toHaveProperty('publish');
        expectTypeOf(ctx).toHaveProperty('ask');
        return 1;
      })
      .command(defineCommand('x.C', z.object({})), (_, ctx) => {
        expectTypeOf(ctx).toHaveProperty('send');
        expectTypeOf(ctx).toHaveProperty('publish');
        expectTypeOf(ctx.publish(RoomBooked, { roomId: '1' })).resolves.toEqualTypeOf<PublishReport>();
      });
  });

  it('scopes middleware contexts: a commands-only middleware cannot see a query', () => {
    mediator.use({ kind: 'command' }, async (ctx, next) => {
      expectTypeOf(ctx.kind).toEqualTypeOf<'command'>();
      expectTypeOf(ctx).toEqualTypeOf<CommandMiddlewareContext>();
      // @ts-expect-error a commands-only middleware never sees a query
      if (ctx.kind === 'query') return next();
      return next();
    });
    mediator.use(async (ctx, next) => {
      expectTypeOf(ctx).toEqualTypeOf<AnyMiddlewareContext>();
      if (ctx.kind === 'query') expectTypeOf(ctx).toEqualTypeOf<QueryMiddlewareContext>();
      return next();
    });
    const queriesOnly: Middleware<QueryMiddlewareContext> = (_, next) => next();
    // @ts-expect-error a queries-only middleware cannot be scoped to commands
    mediator.use({ kind: 'command' }, queriesOnly);
    mediator.use({ kind: 'query' }, queriesOnly);
  });

  it('types a middleware scoped to one message by its payload and result', () => {
    mediator.use(BookRoom, async (ctx, next) => {
      expectTypeOf(ctx.data).toEqualTypeOf<{ roomId: string; nights: number }>();
      expectTypeOf(next()).resolves.toEqualTypeOf<{ bookingId: string }>();
      return next();
    });
    // @ts-expect-error the middleware must return the message's result type
    mediator.use(BookRoom, async () => 'cached');
    mediator.use(RoomBooked, async (ctx, next) => {
      expectTypeOf(ctx.kind).toEqualTypeOf<'event'>();
      return next();
    });
  });
});
