import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery } from '../messages/define.js';
import type { AnyMiddlewareContext } from './context.js';
import { createMediator } from './mediator.js';
import type { Middleware } from './pipeline.js';

const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string() }), {
  tags: ['booking'],
  result: z.string(),
});
const ChargeCard = defineCommand('billing.ChargeCard', z.object({ amount: z.number() }), { tags: ['billing'] });
const FreeRooms = defineQuery('hotel.FreeRooms', z.object({}), z.array(z.string()), { tags: ['booking'] });
const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ roomId: z.string() }));

function recorder(log: string[], name: string): Middleware<AnyMiddlewareContext> {
  return async (ctx, next) => {
    log.push(`${name}>${ctx.type}`);
    const result = await next();
    log.push(`${name}<${ctx.type}`);
    return result;
  };
}

function app(log: string[]) {
  return createMediator()
    .command(BookRoom, ({ roomId }) => {
      log.push('handler');
      return `b-${roomId}`;
    })
    .command(ChargeCard, () => {
      log.push('handler');
    })
    .query(FreeRooms, () => {
      log.push('handler');
      return ['1'];
    })
    .on(RoomBooked, () => {
      log.push('handler');
    });
}

describe('middleware pipeline', () => {
  it('runs global middleware around every kind, in registration order', async () => {
    const log: string[] = [];
    const mediator = app(log).use(recorder(log, 'a')).use(recorder(log, 'b'));
    await mediator.send(BookRoom, { roomId: '1' });
    await mediator.ask(FreeRooms, {});
    await mediator.publish(RoomBooked, { roomId: '1' });
    expect(log).toEqual([
      'a>hotel.BookRoom',
      'b>hotel.BookRoom',
      'handler',
      'b<hotel.BookRoom',
      'a<hotel.BookRoom',
      'a>hotel.FreeRooms',
      'b>hotel.FreeRooms',
      'handler',
      'b<hotel.FreeRooms',
      'a<hotel.FreeRooms',
      'a>hotel.RoomBooked',
      'b>hotel.RoomBooked',
      'handler',
      'b<hotel.RoomBooked',
      'a<hotel.RoomBooked',
    ]);
  });

  it('scopes middleware by kind, by tag, by kind and tag, and by message type', async () => {
    const log: string[] = [];
    const mediator = app(log)
      .use({ kind: 'command' }, async (ctx, next) => {
        log.push(`commands:${ctx.type}`);
        return next();
      })
      .use({ kind: 'query' }, async (ctx, next) => {
        log.push(`queries:${ctx.type}`);
        return next();
      })
      .use({ kind: 'event' }, async (ctx, next) => {
        log.push(`events:${ctx.type}`);
        return next();
      })
      .use({ tag: 'booking' }, async (ctx, next) => {
        log.push(`booking-tag:${ctx.type}`);
        return next();
      })
      .use({ kind: 'command', tag: 'billing' }, async (ctx, next) => {
        log.push(`billing-commands:${ctx.type}`);
        return next();
      })
      .use(BookRoom, async (ctx, next) => {
        log.push(`only-book-room:${ctx.data.roomId}`);
        return `${await next()}!`;
      });
    await expect(mediator.send(BookRoom, { roomId: '4' })).resolves.toBe('b-4!');
    await mediator.send(ChargeCard, { amount: 10 });
    await mediator.ask(FreeRooms, {});
    await mediator.publish(RoomBooked, { roomId: '4' });
    expect(log).toEqual([
      'commands:hotel.BookRoom',
      'booking-tag:hotel.BookRoom',
      'only-book-room:4',
      'handler',
      'commands:billing.ChargeCard',
      'billing-commands:billing.ChargeCard',
      'handler',
      'queries:hotel.FreeRooms',
      'booking-tag:hotel.FreeRooms',
      'handler',
      'events:hotel.RoomBooked',
      'handler',
    ]);
  });

  it('applies middleware added after the first dispatch', async () => {
    const log: string[] = [];
    const mediator = app(log);
    await mediator.send(BookRoom, { roomId: '1' });
    mediator.use(recorder(log, 'late'));
    await mediator.send(BookRoom, { roomId: '1' });
    expect(log).toEqual(['handler', 'late>hotel.BookRoom', 'handler', 'late<hotel.BookRoom']);
  });

  it('lets a middleware short-circuit, replace the result, or fail before the handler', async () => {
    const log: string[] = [];
    const cached = app(log).use(FreeRooms, async () => ['cached']);
    await expect(cached.ask(FreeRooms, {})).resolves.toEqual(['cached']);
    const failing = app(log).use({ kind: 'command' }, async () => {
      throw new Error('maintenance');
    });
    await expect(failing.send(BookRoom, { roomId: '1' })).rejects.toThrow('maintenance');
    const syncThrow = app(log).use((() => {
      throw new Error('sync');
    }) as never);
    await expect(syncThrow.send(BookRoom, { roomId: '1' })).rejects.toThrow('sync');
    expect(log).toEqual([]);
  });

  it('rejects a second call of next() with MIDDLEWARE_MISUSE, so the handler never runs twice', async () => {
    const log: string[] = [];
    const mediator = app(log).use(async function retryTwice(_, next) {
      await next();
      return next();
    });
    const error = await mediator.send(BookRoom, { roomId: '1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MIDDLEWARE_MISUSE' });
    expect((error as Error).message).toContain('retryTwice');
    expect(log).toEqual(['handler']);
  });

  it('validates the payload before any middleware or handler runs', async () => {
    const log: string[] = [];
    const mediator = app(log).use(recorder(log, 'a'));
    await expect(mediator.send(BookRoom, { roomId: 5 } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(log).toEqual([]);
  });

  it('shares a per-dispatch items bag along the pipeline', async () => {
    const seen: unknown[] = [];
    const mediator = app([])
      .use(async (ctx, next) => {
        ctx.items.set('tenantDb', `db-${ctx.type}`);
        return next();
      })
      .use(async (ctx, next) => {
        seen.push(ctx.items.get('tenantDb'));
        return next();
      });
    await mediator.send(BookRoom, { roomId: '1' });
    await mediator.ask(FreeRooms, {});
    expect(seen).toEqual(['db-hotel.BookRoom', 'db-hotel.FreeRooms']);
  });

  it('checks use() arguments', () => {
    const mediator = createMediator();
    const pass: Middleware<AnyMiddlewareContext> = (_, next) => next();
    expect(() => mediator.use('x' as never)).toThrow(/middleware must be a function/);
    expect(() => mediator.use('x' as never, pass)).toThrow(/scope must be a message definition or \{ kind\?, tag\? \}/);
    expect(() => mediator.use({ kind: 'commands' } as never, pass)).toThrow(
      /'command', 'query' or 'event'; got "commands"/,
    );
    expect(() => mediator.use({ tags: 'x' } as never, pass)).toThrow(/unknown scope key\(s\) tags/);
    expect(() => mediator.use({}, pass)).toThrow(/names neither a kind nor a tag/);
    expect(() => mediator.use({ kind: 'query' }, 42 as never)).toThrow(/middleware must be a function/);
    expect(() => mediator.use({ tag: '' }, pass)).toThrow(/scope.tag must be a non-empty string/);
  });
});
