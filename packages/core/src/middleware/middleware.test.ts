import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { asyncContext } from '../async-context/index.js';
import { DomainError, ForbiddenError, UnauthenticatedError } from '../errors/errors.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent, defineQuery } from '../messages/define.js';
import type { Logger, LogLevel } from '../runtime/logger.js';
import { anyone, authenticated, authorize, hasRole } from './authorize.js';
import { logging } from './logging.js';
import { type DispatchSample, metrics } from './metrics.js';
import { recover } from './recover.js';

const RegisterRoom = defineCommand('hotel.RegisterRoom', z.object({ number: z.string() }));
const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string() }));
const FreeRooms = defineQuery('hotel.FreeRooms', z.object({}), z.array(z.string()));
const Occupancy = defineQuery('hotel.Occupancy', z.object({}), z.number());
const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ roomId: z.string() }));

function hotel() {
  return createMediator()
    .command(RegisterRoom, () => {})
    .command(BookRoom, async ({ roomId }, { publish }) => {
      await publish(RoomBooked, { roomId });
    })
    .query(FreeRooms, () => ['101'])
    .query(Occupancy, () => 0.5)
    .on(RoomBooked, () => {});
}

const guest = { principal: { id: 'g-1', roles: ['guest'] } };
const manager = { principal: { id: 'm-1', roles: ['manager'] } };

describe('authorize', () => {
  const policies = authorize({
    commands: { default: authenticated, 'hotel.RegisterRoom': hasRole('manager') },
    queries: { 'hotel.FreeRooms': anyone, 'hotel.Occupancy': hasRole('manager') },
  });

  it('applies separate policies to commands (writes) and queries (reads)', async () => {
    const mediator = hotel().use(policies);
    await expect(mediator.ask(FreeRooms, {})).resolves.toEqual(['101']);
    await expect(mediator.send(BookRoom, { roomId: '1' }, guest)).resolves.toBeUndefined();
    await expect(mediator.send(RegisterRoom, { number: '1' }, manager)).resolves.toBeUndefined();
    await expect(mediator.ask(Occupancy, {}, manager)).resolves.toBe(0.5);

    await expect(mediator.send(BookRoom, { roomId: '1' })).rejects.toBeInstanceOf(UnauthenticatedError);
    const refused = await mediator.send(RegisterRoom, { number: '1' }, guest).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as Error).message).toBe("'g-1' may not send 'hotel.RegisterRoom'");
    await expect(mediator.ask(Occupancy, {}, guest)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses a message no rule covers, and never stops events published by authorized handlers', async () => {
    let ran = false;
    const mediator = hotel()
      .use(authorize({ commands: { 'hotel.BookRoom': authenticated } }))
      .command(defineCommand('hotel.Other', z.object({})), () => {
        ran = true;
      });
    await expect(mediator.send(defineCommand('hotel.Other', z.object({})), {}, guest)).rejects.toThrow(
      "No command policy allows 'hotel.Other'",
    );
    await expect(mediator.ask(FreeRooms, {}, guest)).rejects.toThrow("No query policy allows 'hotel.FreeRooms'");
    await expect(mediator.send(BookRoom, { roomId: '1' }, guest)).resolves.toBeUndefined();
    expect(ran).toBe(false);
  });

  it('accepts one policy function per kind and async policies', async () => {
    const mediator = hotel().use(
      authorize({
        commands: async (ctx) => ctx.principal?.id === 'm-1',
        queries: () => true,
      }),
    );
    await expect(mediator.send(BookRoom, { roomId: '1' }, manager)).resolves.toBeUndefined();
    await expect(mediator.send(BookRoom, { roomId: '1' }, guest)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('checks its arguments', () => {
    expect(() => authorize(null as never)).toThrow(/options must be/);
    expect(() => authorize({ commands: { default: 'yes' as never } })).toThrow(
      /commands\['default'\] must be a policy function/,
    );
    expect(() => hasRole()).toThrow(/at least one role/);
  });
});

function memoryLogger() {
  const lines: { level: LogLevel; bindings: Record<string, unknown>; message: string | undefined }[] = [];
  const at =
    (level: LogLevel) =>
    (bindings: object, message?: string): void => {
      lines.push({ level, bindings: bindings as Record<string, unknown>, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('logging', () => {
  it('logs successes with ids and duration, expected failures at warn, and bugs at error', async () => {
    const { logger, lines } = memoryLogger();
    const mediator = hotel()
      .use(logging(logger))
      .command(defineCommand('hotel.CheckIn', z.object({})), () => {
        throw new DomainError('NOT_BOOKED', 'no booking');
      })
      .command(defineCommand('hotel.Crash', z.object({})), () => {
        throw new TypeError('undefined is not a function');
      });
    await mediator.send(BookRoom, { roomId: '1' }, { ...guest, correlationId: 'corr-1' });
    await mediator.send(defineCommand('hotel.CheckIn', z.object({})), {}).catch(() => {});
    await mediator.send(defineCommand('hotel.Crash', z.object({})), {}).catch(() => {});

    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['info', 'event hotel.RoomBooked handled'],
      ['info', 'command hotel.BookRoom handled'],
      ['warn', 'command hotel.CheckIn failed'],
      ['error', 'command hotel.Crash failed'],
    ]);
    expect(lines[1]?.bindings).toMatchObject({
      kind: 'command',
      type: 'hotel.BookRoom',
      correlationId: 'corr-1',
      principal: 'g-1',
    });
    expect(lines[0]?.bindings.causationId).toBe(lines[1]?.bindings.messageId);
    expect(typeof lines[1]?.bindings.durationMs).toBe('number');
    expect(lines[1]?.bindings).not.toHaveProperty('data');
    expect(lines[2]?.bindings).toMatchObject({ code: 'DOMAIN_RULE' });
  });

  it('logs payloads only when asked, at the chosen level', async () => {
    const { logger, lines } = memoryLogger();
    await hotel()
      .use(logging(logger, { level: 'debug', payload: true }))
      .ask(FreeRooms, {});
    expect(lines).toMatchObject([{ level: 'debug', bindings: { data: {} } }]);
    expect(() => logging({} as never)).toThrow(/pino-compatible/);
    expect(() => logging(logger, { level: 'loud' as never })).toThrow(/level must be/);
  });
});

describe('metrics', () => {
  it('hands one sample per dispatch to the sink, with the outcome', async () => {
    const samples: DispatchSample[] = [];
    const mediator = hotel()
      .use(metrics((s) => samples.push(s)))
      .command(defineCommand('hotel.Fail', z.object({})), () => {
        throw new DomainError('NOPE', 'no');
      });
    await mediator.ask(FreeRooms, {});
    await mediator.send(defineCommand('hotel.Fail', z.object({})), {}).catch(() => {});
    expect(samples.map(({ kind, type, ok, error }) => ({ kind, type, ok, error }))).toEqual([
      { kind: 'query', type: 'hotel.FreeRooms', ok: true, error: undefined },
      { kind: 'command', type: 'hotel.Fail', ok: false, error: 'DOMAIN_RULE' },
    ]);
    expect(samples[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('never lets a throwing sink break a dispatch', async () => {
    const { logger, lines } = memoryLogger();
    const mediator = createMediator({ logger })
      .query(FreeRooms, () => ['1'])
      .use(
        metrics(() => {
          throw new Error('statsd down');
        }),
      );
    await expect(mediator.ask(FreeRooms, {})).resolves.toEqual(['1']);
    expect(lines).toMatchObject([{ level: 'warn', message: 'metrics sink threw' }]);
  });
});

describe('recover', () => {
  class GatewayTimeout extends Error {}

  it('recovers errors of one class with a value, and leaves others alone', async () => {
    const Pay = defineCommand('billing.Pay', z.object({ fail: z.enum(['timeout', 'other']) }), { result: z.string() });
    const mediator = createMediator()
      .command(Pay, ({ fail }) => {
        throw fail === 'timeout' ? new GatewayTimeout('slow gateway') : new RangeError('bug');
      })
      .use(
        Pay,
        recover(GatewayTimeout, (error) => `pending: ${error.message}`),
      );
    await expect(mediator.send(Pay, { fail: 'timeout' })).resolves.toBe('pending: slow gateway');
    await expect(mediator.send(Pay, { fail: 'other' })).rejects.toBeInstanceOf(RangeError);
  });

  it('maps an error to another by throwing from the handler', async () => {
    const mediator = hotel()
      .command(defineCommand('billing.Charge', z.object({})), () => {
        throw new GatewayTimeout('slow');
      })
      .use(
        { kind: 'command' },
        recover(GatewayTimeout, () => {
          throw new DomainError('PAYMENT_PENDING', 'Try again later');
        }),
      );
    await expect(mediator.send(defineCommand('billing.Charge', z.object({})), {})).rejects.toMatchObject({
      code: 'DOMAIN_RULE',
      rule: 'PAYMENT_PENDING',
    });
    expect(() => recover('x' as never, () => {})).toThrow(/error class/);
  });
});

describe('async context (opt-in)', () => {
  it('exposes the dispatch in flight to code that is not handed the context', async () => {
    const context = asyncContext();
    const deepInARepository = () => context.current()?.envelope.correlationId;
    const seen: (string | undefined)[] = [];
    const mediator = createMediator({ contextStorage: context })
      .command(BookRoom, async ({ roomId }, { publish }) => {
        seen.push(deepInARepository());
        await publish(RoomBooked, { roomId });
      })
      .on(RoomBooked, async () => {
        // After a turn of the event loop, far from the dispatch's own call stack.
        await new Promise((r) => setImmediate(r));
        seen.push(deepInARepository());
      });
    await mediator.send(BookRoom, { roomId: '1' }, { correlationId: 'c-42' });
    expect(seen).toEqual(['c-42', 'c-42']);
    expect(context.current()).toBeUndefined();
  });
});
