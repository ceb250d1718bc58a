// serve(): an app made with twofold() on HTTP in one call, closed with it in order, and on a signal.
import {
  type DocumentTx,
  defineCommand,
  defineDecider,
  defineEvent,
  defineQuery,
  memory,
  projection,
  streamId,
  twofold,
} from '@twofold/core';
import { HEADERS } from '@twofold/core/wire';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serve } from '../../src/index.js';

const Deposit = defineCommand('test.Deposit', z.object({ accountId: z.string(), amount: z.number() }));
const Hold = defineCommand('test.Hold', z.object({}));
const Deposited = defineEvent('test.Deposited', z.object({ accountId: z.string(), amount: z.number() }));
const Total = defineQuery('test.Total', z.object({}), z.number());

const deposits = defineDecider({
  name: 'deposits',
  commands: [Deposit],
  events: [Deposited],
  initialState: () => null,
  evolve: () => null,
  decide: (command) => [{ type: 'test.Deposited', data: command.data }],
});
const totals = projection<DocumentTx>('totals').on(Deposited, async ({ amount }, tx) => {
  const all = tx.collection<{ amount: number }>('totals');
  all.put('all', { amount: ((await all.get('all'))?.amount ?? 0) + amount });
});

function app(hold: Promise<void> = Promise.resolve(), entered = () => {}) {
  return twofold({ store: memory() })
    .decider(deposits, { stream: ({ data }) => streamId('account', data.accountId) })
    .command(Hold, async () => {
      entered();
      await hold;
    })
    .projection(totals)
    .query(
      Total,
      async (_, { read }) => (await read(totals).collection<{ amount: number }>('totals').get('all'))?.amount ?? 0,
      { reads: [totals] },
    );
}

const post = (url: string, type: string, body: unknown) =>
  fetch(`${url}/commands/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('serve()', () => {
  it('serves the commands and queries of an app, with read-your-writes, and closes with it', async () => {
    const bank = await app().start();
    const { url } = await serve(bank, { port: 0, host: '127.0.0.1', prefix: '/api', signals: [] });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const written = await post(`${url}/api`, 'test.Deposit', { accountId: 'a1', amount: 5 });
    expect(written.status).toBe(200);
    const { position } = (await written.json()) as { position: number };
    const read = await fetch(`${url}/api/queries/test.Total`, { headers: { [HEADERS.after]: String(position) } });
    expect(await read.json()).toEqual({ result: 5 });
    await bank.close();
    await expect(fetch(`${url}/api/queries/test.Total`)).rejects.toThrow();
  });

  it('answers 503 UNAVAILABLE before the app has started', async () => {
    const bank = app();
    const { url } = await serve(bank, { port: 0, host: '127.0.0.1', signals: [] });
    const response = await fetch(`${url}/queries/test.Total`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'UNAVAILABLE' });
    await bank.close();
  });

  it('finishes a request in flight before the app closes its database', async () => {
    let release = () => {};
    let entered = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    const running = new Promise<void>((resolve) => (entered = resolve));
    const bank = await app(hold, entered).start();
    const { url } = await serve(bank, { port: 0, host: '127.0.0.1', signals: [] });
    const answer = post(url, 'test.Hold', {});
    await running;
    let closed = false;
    const closing = bank.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    release();
    const answered = await answer;
    expect(answered.status).toBe(200);
    // Its keep-alive connection ends with it, so that the close does not wait for the connection's idle timeout.
    expect(answered.headers.get('connection')).toBe('close');
    await closing;
  });

  it('closes the app on a signal it was given, and only once', async () => {
    const bank = await app().start();
    let closes = 0;
    bank.onClose(() => void closes++);
    const before = process.listenerCount('SIGUSR2');
    const { url } = await serve(bank, { port: 0, host: '127.0.0.1', signals: ['SIGUSR2'] });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    await bank.close();
    expect(closes).toBe(1);
    await expect(fetch(`${url}/queries/test.Total`)).rejects.toThrow();
  });

  it('refuses what is not an app, and a bad port, before listening', async () => {
    await expect(serve({} as never)).rejects.toThrow('serve(): the first argument must be an app made with twofold()');
    await expect(serve(app(), { port: 70_000 })).rejects.toThrow(
      'serve(): port must be an integer from 0 to 65535; got 70000',
    );
  });
});
