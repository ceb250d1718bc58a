// @twofold/client's enqueue and waitFor against serve(app) on a real socket: serve passes the app's queue to the
// plugin, the client queues a command, waits for it, and reads its write with the position it carries.
import { createClient, isRemoteError, type RemoteError } from '@twofold/client';
import { globalPosition } from '@twofold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, serve } from '../../src/index.js';
import { bankApp, Deposit, principals, TELLER, Total } from '../fixtures/bank.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function served(options: { readonly worker: boolean; readonly queue?: false }) {
  const { app } = bankApp(options);
  await app.start();
  close = () => app.close();
  // Without its database, serve finds no queue.
  const servable =
    options.queue === false
      ? { mediator: app.mediator, onClose: (f: () => Promise<void>) => app.onClose(f), close: () => app.close() }
      : app;
  const { url } = await serve(servable, {
    port: 0,
    host: '127.0.0.1',
    prefix: '/api',
    signals: [],
    authenticate: bearer((token) => principals.get(token)),
  });
  return createClient({ baseUrl: `${url}/api`, headers: { authorization: TELLER } });
}

describe('client.enqueue and client.waitFor', () => {
  it('queue a command, wait for it to succeed, and read its write after its position', async () => {
    const client = await served({ worker: true });
    const receipt = await client.enqueue(Deposit, { accountId: 'a1', amount: 10 });
    expect(receipt.status).toBe('queued');
    expect(receipt.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/api/commands/status/${receipt.id}$`));
    expect(client.position).toBeUndefined();
    const done = await client.waitFor(receipt, { timeoutMs: 10_000 });
    expect(done).toEqual({
      id: receipt.id,
      type: 'bank.Deposit',
      status: 'succeeded',
      attempts: 1,
      result: { accountId: 'a1' },
      position: 1,
    });
    expect(client.position).toBe(1);
    expect(await client.ask(Total, {})).toBe(10);
    // By id alone, the same.
    expect((await client.waitFor(receipt.id)).status).toBe('succeeded');
  });

  it('resolves to the status as it is once timeoutMs has passed', async () => {
    const client = await served({ worker: false });
    const receipt = await client.enqueue(Deposit, { accountId: 'a1', amount: 10 }, { idempotencyKey: 'k' });
    expect(await client.waitFor(receipt, { timeoutMs: 0 })).toEqual({
      id: receipt.id,
      type: 'bank.Deposit',
      status: 'queued',
      attempts: 0,
    });
    // The same key and payload: the same command.
    expect((await client.enqueue(Deposit, { accountId: 'a1', amount: 10 }, { idempotencyKey: 'k' })).id).toBe(
      receipt.id,
    );
  });

  it('rejects with UNEXPECTED_RESPONSE when the server ran the command at once, having no queue', async () => {
    const client = await served({ worker: false, queue: false });
    const ran = await client.enqueue(Deposit, { accountId: 'a1', amount: 10 }).catch((error: unknown) => error);
    expect(isRemoteError(ran, 'UNEXPECTED_RESPONSE')).toBe(true);
    expect((ran as Error).message).toBe(
      'The server ran bank.Deposit at once instead of queueing it: it has no command queue',
    );
    expect(await client.ask(Total, {}, { after: globalPosition(1) })).toBe(10);
  });

  it('rejects a refused command as send does, and an unknown id with NOT_FOUND', async () => {
    const client = await served({ worker: false });
    const refused = await client.enqueue(Deposit, { accountId: 'a1', amount: -1 }).catch((error: unknown) => error);
    expect(isRemoteError(refused, 'VALIDATION_FAILED')).toBe(true);
    const unknown = await client.waitFor('nope', { timeoutMs: 0 }).catch((error: unknown) => error);
    expect(isRemoteError(unknown, 'NOT_FOUND')).toBe(true);
  });

  it('cancel a queued command, and reject cancelling one that has run with NOT_CANCELLABLE', async () => {
    const client = await served({ worker: false });
    const receipt = await client.enqueue(Deposit, { accountId: 'a1', amount: 10 });
    expect(await client.cancel(receipt)).toEqual({
      id: receipt.id,
      type: 'bank.Deposit',
      status: 'cancelled',
      attempts: 0,
    });
    expect((await client.waitFor(receipt.id, { timeoutMs: 0 })).status).toBe('cancelled');
    await close?.();
    const ran = await served({ worker: true });
    const done = await ran.waitFor(await ran.enqueue(Deposit, { accountId: 'a1', amount: 10 }), { timeoutMs: 10_000 });
    const refused = await ran.cancel(done.id).catch((error: unknown) => error);
    expect(isRemoteError(refused, 'NOT_CANCELLABLE')).toBe(true);
    expect((refused as RemoteError).problem?.commandStatus).toBe('succeeded');
    const unknown = await ran.cancel('nope').catch((error: unknown) => error);
    expect(isRemoteError(unknown, 'NOT_FOUND')).toBe(true);
  });
});
