import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent, defineQuery, defineStreamQuery } from '../messages/define.js';
import type { Envelope } from '../messages/envelope.js';
import { createMediator } from './mediator.js';

const PlaceOrder = defineCommand('shop.PlaceOrder', z.object({ orderId: z.string() }));
const OrderPlaced = defineEvent('shop.OrderPlaced', z.object({ orderId: z.string() }));
const ReserveStock = defineCommand('shop.ReserveStock', z.object({ orderId: z.string() }));
const StockLevel = defineQuery('shop.StockLevel', z.object({}), z.number());

describe('execution context', () => {
  it('propagates the correlation id and sets the causation id through send, publish and ask', async () => {
    const seen: Record<string, Envelope> = {};
    const mediator = createMediator()
      .command(PlaceOrder, async ({ orderId }, ctx) => {
        seen.placeOrder = ctx.envelope;
        await ctx.publish(OrderPlaced, { orderId });
      })
      .on(OrderPlaced, async ({ orderId }, { send, envelope }) => {
        seen.orderPlaced = envelope;
        await send(ReserveStock, { orderId });
      })
      .command(ReserveStock, async (_, { ask, envelope }) => {
        seen.reserveStock = envelope;
        await ask(StockLevel, {});
      })
      .query(StockLevel, (_, ctx) => {
        seen.stockLevel = ctx.envelope;
        return 3;
      });

    await mediator.send(
      PlaceOrder,
      { orderId: 'o-1' },
      { principal: { id: 'alice' }, tenant: 'acme', metadata: { traceId: 't1' } },
    );

    const { placeOrder, orderPlaced, reserveStock, stockLevel } = seen;
    expect(placeOrder?.causationId).toBeUndefined();
    expect(placeOrder?.correlationId).toBe(placeOrder?.id);
    for (const envelope of [orderPlaced, reserveStock, stockLevel]) {
      expect(envelope?.correlationId).toBe(placeOrder?.id);
      expect(envelope?.principal).toEqual({ id: 'alice' });
      expect(envelope?.tenant).toBe('acme');
      expect(envelope?.metadata).toEqual({ traceId: 't1' });
    }
    expect(orderPlaced?.causationId).toBe(placeOrder?.id);
    expect(reserveStock?.causationId).toBe(orderPlaced?.id);
    expect(stockLevel?.causationId).toBe(reserveStock?.id);
    const ids = new Set([placeOrder?.id, orderPlaced?.id, reserveStock?.id, stockLevel?.id]);
    expect(ids.size).toBe(4);
    expect([...ids].every((id) => /^[0-9a-f-]{36}$/.test(id ?? ''))).toBe(true);
  });

  it('carries every envelope field, and honours ids chosen by the sender', async () => {
    let envelope: Envelope | undefined;
    const mediator = createMediator().command(PlaceOrder, (_, ctx) => {
      envelope = ctx.envelope;
    });
    const before = Date.now();
    await mediator.send(
      PlaceOrder,
      { orderId: 'o-2' },
      { messageId: 'm-1', correlationId: 'c-1', causationId: 'x-1', principal: { id: 'bob', roles: ['clerk'] } },
    );
    expect(envelope).toMatchObject({
      kind: 'command',
      type: 'shop.PlaceOrder',
      data: { orderId: 'o-2' },
      id: 'm-1',
      correlationId: 'c-1',
      causationId: 'x-1',
      principal: { id: 'bob', roles: ['clerk'] },
      tenant: undefined,
      metadata: {},
    });
    expect(envelope?.timestamp).toBeGreaterThanOrEqual(before);
    expect(envelope?.timestamp).toBeLessThanOrEqual(Date.now());
    expect(JSON.parse(JSON.stringify(envelope))).toMatchObject({
      id: 'm-1',
      type: 'shop.PlaceOrder',
      correlationId: 'c-1',
    });
  });

  it.each([
    [{ principal: { name: 'x' } }, 'options.principal must be an object with a non-empty string id'],
    [{ principal: { id: 'a', roles: 'admin' } }, 'options.principal.roles must be an array of strings'],
    [{ tenant: 42 }, 'options.tenant must be a non-empty string; got 42'],
    [{ messageId: '' }, 'options.messageId must be a non-empty string'],
    [{ metadata: [] }, 'options.metadata must be a plain object'],
    [{ signal: 'stop' }, 'options.signal must be an AbortSignal'],
    ['fast', 'options must be an object'],
  ])('rejects bad envelope options %j without running the handler', async (options, message) => {
    let ran = false;
    const mediator = createMediator().command(PlaceOrder, () => {
      ran = true;
    });
    await expect(mediator.send(PlaceOrder, { orderId: 'o' }, options as never)).rejects.toThrow(
      `shop.PlaceOrder: ${message}`,
    );
    expect(ran).toBe(false);
  });

  it('keeps the first-read id and timestamp stable', async () => {
    let envelope: Envelope | undefined;
    const mediator = createMediator().command(PlaceOrder, (_, ctx) => {
      envelope = ctx.envelope;
    });
    await mediator.send(PlaceOrder, { orderId: 'o' });
    const { id, timestamp } = envelope!;
    // The clock moves on: an envelope that read it again would show another timestamp.
    vi.useFakeTimers({ toFake: ['Date'], now: timestamp + 60_000 });
    try {
      expect(envelope?.id).toBe(id);
      expect(envelope?.timestamp).toBe(timestamp);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('cancellation', () => {
  const Slow = defineCommand('test.Slow', z.object({ ms: z.number() }));
  const slowHandler = async ({ ms }: { ms: number }, { signal }: { signal: AbortSignal | undefined }) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  };

  it('rejects with CANCELLED before running when the signal is already aborted', async () => {
    let ran = false;
    const mediator = createMediator().command(Slow, () => {
      ran = true;
    });
    const controller = new AbortController();
    controller.abort();
    await expect(mediator.send(Slow, { ms: 1 }, { signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(ran).toBe(false);
  });

  it('rejects with CANCELLED when the caller aborts mid-flight, and the handler sees the signal', async () => {
    let handlerSawAbort = false;
    let listening: () => void = () => {};
    const handlerListens = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const mediator = createMediator().command(Slow, async (data, ctx) => {
      ctx.signal?.addEventListener('abort', () => {
        handlerSawAbort = true;
      });
      listening();
      await slowHandler(data, ctx);
    });
    const controller = new AbortController();
    const pending = mediator.send(Slow, { ms: 10_000 }, { signal: controller.signal });
    await handlerListens;
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(handlerSawAbort).toBe(true);
  });

  it('rejects with DEADLINE_EXCEEDED past a timeout or an absolute deadline', async () => {
    const finished: number[] = [];
    const mediator = createMediator().command(Slow, async (data, ctx) => {
      await slowHandler(data, ctx);
      finished.push(data.ms);
    });
    await expect(mediator.send(Slow, { ms: 10_000 }, { timeout: 20 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    // Rejected before the handler's own wait could end.
    expect(finished).toEqual([]);
    await expect(mediator.send(Slow, { ms: 10_000 }, { deadline: Date.now() + 20 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await expect(mediator.send(Slow, { ms: 1 }, { deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await expect(mediator.send(Slow, { ms: 1 }, { timeout: 5_000 })).resolves.toBeUndefined();
  });

  it('cancels a handler that never reads its signal, by caller and by deadline alike', async () => {
    const mediator = createMediator().command(Slow, () => new Promise<void>(() => {}));
    const controller = new AbortController();
    const cancelled = mediator.send(Slow, { ms: 0 }, { signal: controller.signal, timeout: 60_000 });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(mediator.send(Slow, { ms: 0 }, { signal: controller.signal, timeout: 60_000 })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    await expect(
      mediator.send(Slow, { ms: 0 }, { signal: new AbortController().signal, timeout: 1 }),
    ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('hands a handler that reads its signal after the abort an aborted signal', async () => {
    let seen: AbortSignal | undefined;
    let late: () => void = () => {};
    const mediator = createMediator().command(Slow, async (_data, ctx) => {
      await new Promise<void>((resolve) => {
        late = resolve;
      });
      seen = ctx.signal;
    });
    const controller = new AbortController();
    const pending = mediator.send(Slow, { ms: 0 }, { signal: controller.signal, timeout: 60_000 });
    controller.abort('stop');
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    late();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe('stop');
  });

  it('passes the deadline on to nested dispatches', async () => {
    const Outer = defineCommand('test.Outer', z.object({}));
    let innerSignal: AbortSignal | undefined;
    const mediator = createMediator()
      .command(Slow, async (data, ctx) => {
        innerSignal = ctx.signal;
        await slowHandler(data, ctx);
      })
      .command(Outer, (_, { send }) => send(Slow, { ms: 10_000 }));
    await expect(mediator.send(Outer, {}, { timeout: 20 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(innerSignal?.aborted).toBe(true);
  });

  it('stops a stream when its signal aborts', async () => {
    const Ticks = defineStreamQuery('test.Ticks', z.object({}), z.number());
    const mediator = createMediator().query(Ticks, async function* () {
      for (let i = 0; ; i++) {
        await new Promise((r) => setImmediate(r));
        yield i;
      }
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const read = async () => {
      for await (const tick of mediator.stream(Ticks, {}, { signal: controller.signal })) {
        seen.push(tick);
        if (tick === 2) controller.abort();
      }
    };
    await expect(read()).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toEqual([0, 1, 2]);
  });

  it('checks deadline options', async () => {
    const mediator = createMediator().command(Slow, slowHandler);
    await expect(mediator.send(Slow, { ms: 1 }, { timeout: -1 })).rejects.toThrow(
      /timeout must be a number of milliseconds >= 0/,
    );
    await expect(mediator.send(Slow, { ms: 1 }, { deadline: Number.NaN })).rejects.toThrow(
      /deadline must be a finite number/,
    );
  });
});
