// Commands sent with `Prefer: respond-async`: queued after validation and authorization, answered 202 with a
// status resource that only their sender reads, that waits with `Prefer: wait=N`, and whose position a query
// honours. In process (fastify.inject), on the memory database's queue.
import type { memory } from '@twofold/core';
import { MAX_WAIT_SECONDS } from '@twofold/core/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, type TwofoldHttpOptions, twofoldHttp } from '../../src/index.js';
import { AUDITOR, bankApp, OTHER_TELLER, principals, TELLER } from '../fixtures/bank.js';
import { problem } from './inject.js';

interface Bank {
  readonly server: FastifyInstance;
  readonly db: ReturnType<typeof memory>;
  close(): Promise<void>;
}

let open: Bank | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

/** The bank app behind the plugin; with `worker`, a worker runs what is queued. */
async function bank(options: { worker?: boolean; plugin?: Partial<TwofoldHttpOptions>; queue?: boolean } = {}) {
  const { app, db } = bankApp(options);
  await app.start();
  const server = Fastify();
  await server.register(twofoldHttp, {
    prefix: '/api',
    mediator: app.mediator,
    authenticate: bearer((token) => principals.get(token)),
    ...(options.queue === false ? {} : { queue: db.commands }),
    ...options.plugin,
  });
  await server.ready();
  open = {
    server,
    db,
    close: async () => {
      await server.close();
      await app.close();
    },
  };
  return open;
}

const deposit = (b: Bank, body: unknown, headers: Record<string, string> = {}) =>
  b.server.inject({
    method: 'POST',
    url: '/api/commands/bank.Deposit',
    payload: body as object,
    headers: { authorization: TELLER, prefer: 'respond-async', ...headers },
  });
/** GETs a status resource as the teller; an empty header is left out (`authorization: ''`: anonymous). */
const status = (b: Bank, location: string, headers: Record<string, string> = {}) =>
  b.server.inject({
    method: 'GET',
    url: location,
    headers: Object.fromEntries(
      Object.entries({ authorization: TELLER, ...headers }).filter(([, value]) => value !== ''),
    ),
  });
/** Every command waiting in the queue, claimed (and so taken out of its way). */
const queued = async (b: Bank) => b.db.commands.claim({ limit: 100, leaseMs: 60_000, now: Date.now() });

describe('POST /commands/{type} with Prefer: respond-async', () => {
  it('queues the command and answers 202 with its status resource in Location', async () => {
    const b = await bank();
    const response = await deposit(b, { accountId: 'a1', amount: 10 });
    expect(response.statusCode).toBe(202);
    const { id, status: state } = response.json() as { id: string; status: string };
    expect(state).toBe('queued');
    expect(response.headers.location).toBe(`/api/commands/status/${id}`);
    expect(response.headers['preference-applied']).toBe('respond-async');
    const read = await status(b, response.headers.location as string);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ id, type: 'bank.Deposit', status: 'queued', attempts: 0 });
    expect(read.headers['twofold-position']).toBeUndefined();
    expect((await queued(b)).map((command) => [command.id, command.data, command.envelope.principal?.id])).toEqual([
      [id, { accountId: 'a1', amount: 10 }, 'tess'],
    ]);
  });

  it('refuses an invalid, anonymous or forbidden command as send does, and queues nothing', async () => {
    const b = await bank();
    const invalid = await deposit(b, { accountId: 'a1', amount: -1 });
    expect([invalid.statusCode, problem(invalid).code]).toEqual([400, 'VALIDATION_FAILED']);
    const anonymous = await deposit(b, { accountId: 'a1', amount: 1 }, { authorization: '' });
    expect([anonymous.statusCode, problem(anonymous).code]).toEqual([401, 'UNAUTHENTICATED']);
    const forbidden = await deposit(b, { accountId: 'a1', amount: 1 }, { authorization: AUDITOR });
    expect([forbidden.statusCode, problem(forbidden).code]).toEqual([403, 'FORBIDDEN']);
    const unknown = await b.server.inject({
      method: 'POST',
      url: '/api/commands/bank.Nope',
      payload: {},
      headers: { authorization: TELLER, prefer: 'respond-async' },
    });
    expect([unknown.statusCode, problem(unknown).code]).toEqual([404, 'NO_HANDLER']);
    expect(await queued(b)).toEqual([]);
  });

  it('runs the command at once, without Preference-Applied, when the plugin has no queue', async () => {
    const b = await bank({ queue: false });
    const response = await deposit(b, { accountId: 'a1', amount: 10 });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ result: { accountId: 'a1' }, position: 1 });
    expect(response.headers['preference-applied']).toBeUndefined();
    const read = await status(b, '/api/commands/status/anything');
    expect([read.statusCode, problem(read).code]).toEqual([404, 'NOT_FOUND']);
  });

  it('needs a mediator that can admit commands', async () => {
    const { app, db } = bankApp();
    const { execute, ask, stream, definitions } = app.mediator;
    const server = Fastify();
    const registered = server.register(twofoldHttp, {
      mediator: { execute, ask, stream, definitions },
      queue: db.commands,
    });
    await expect(registered).rejects.toThrow('twofoldHttp: options.queue needs a mediator that can admit commands');
    await server.close().catch(() => {});
  });

  it('runs the command at once when Prefer does not ask for respond-async', async () => {
    const b = await bank();
    const response = await deposit(b, { accountId: 'a1', amount: 10 }, { prefer: 'respond-async=1, wait=5' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['preference-applied']).toBeUndefined();
  });
});

describe('Idempotency-Key with Prefer: respond-async', () => {
  it('answers a retry with the same command, whatever the order of its fields', async () => {
    const b = await bank();
    const first = await deposit(b, { accountId: 'a1', amount: 10 }, { 'idempotency-key': 'k1' });
    const again = await deposit(b, { amount: 10, accountId: 'a1' }, { 'idempotency-key': 'k1' });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(await queued(b)).toHaveLength(1);
  });

  it('refuses another payload or another command under a used key with 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const b = await bank();
    expect((await deposit(b, { accountId: 'a1', amount: 10 }, { 'idempotency-key': 'k1' })).statusCode).toBe(202);
    const other = await deposit(b, { accountId: 'a1', amount: 11 }, { 'idempotency-key': 'k1' });
    expect([other.statusCode, problem(other).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const close = await b.server.inject({
      method: 'POST',
      url: '/api/commands/bank.Close',
      payload: { accountId: 'a1' },
      headers: { authorization: TELLER, prefer: 'respond-async', 'idempotency-key': 'k1' },
    });
    expect([close.statusCode, problem(close).code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect(await queued(b)).toHaveLength(1);
  });

  it("keeps one caller's key apart from another's", async () => {
    const b = await bank();
    const tess = await deposit(b, { accountId: 'a1', amount: 10 }, { 'idempotency-key': 'k1' });
    const otto = await deposit(
      b,
      { accountId: 'a1', amount: 12 },
      { 'idempotency-key': 'k1', authorization: OTHER_TELLER },
    );
    expect(otto.statusCode).toBe(202);
    expect(otto.json().id).not.toBe(tess.json().id);
  });
});

describe('a key used by a command run at once, then by a queued one', () => {
  it('is checked when the queued command runs: another command under it ends dead', async () => {
    const b = await bank({ worker: true });
    const now = await deposit(b, { accountId: 'a1', amount: 10 }, { prefer: '', 'idempotency-key': 'k1' });
    expect(now.statusCode).toBe(200);
    const queued = await deposit(b, { accountId: 'a1', amount: 20 }, { 'idempotency-key': 'k1' });
    expect(queued.statusCode).toBe(202);
    const read = await status(b, queued.headers.location as string, { prefer: 'wait=10' });
    expect(read.json()).toMatchObject({ status: 'dead', problem: { code: 'IDEMPOTENCY_KEY_REUSED' } });
  });
});

describe('GET /commands/status/{id}', () => {
  it('waits with Prefer: wait=N for the command to succeed, and its position lets a query read the write', async () => {
    const b = await bank({ worker: true });
    const accepted = await deposit(b, { accountId: 'a1', amount: 10 });
    const read = await status(b, accepted.headers.location as string, { prefer: 'wait=10' });
    expect(read.statusCode).toBe(200);
    expect(read.headers['preference-applied']).toBe('wait=10');
    const body = read.json();
    expect(body).toEqual({
      id: accepted.json().id,
      type: 'bank.Deposit',
      status: 'succeeded',
      attempts: 1,
      result: { accountId: 'a1' },
      position: 1,
    });
    expect(read.headers['twofold-position']).toBe('1');
    const total = await b.server.inject({
      method: 'GET',
      url: '/api/queries/bank.Total',
      headers: { authorization: TELLER, 'twofold-after': String(body.position) },
    });
    expect(total.json()).toEqual({ result: 10 });
  });

  it(`cuts a longer wait to ${MAX_WAIT_SECONDS} seconds and says so`, async () => {
    const b = await bank({ worker: true });
    const accepted = await deposit(b, { accountId: 'a1', amount: 10 });
    const read = await status(b, accepted.headers.location as string, { prefer: 'wait=86400' });
    expect(read.headers['preference-applied']).toBe(`wait=${MAX_WAIT_SECONDS}`);
    expect(read.json().status).toBe('succeeded');
  });

  it('answers at once, as it is, after a wait of 0 or without a wait, and ignores a wait it cannot read', async () => {
    const b = await bank();
    const accepted = await deposit(b, { accountId: 'a1', amount: 10 });
    const location = accepted.headers.location as string;
    const zero = await status(b, location, { prefer: 'wait=0' });
    expect([zero.json().status, zero.headers['preference-applied']]).toEqual(['queued', 'wait=0']);
    for (const prefer of ['wait=soon', 'wait=-1', 'wait', 'wait=1.5']) {
      const read = await status(b, location, { prefer });
      expect([read.statusCode, read.json().status, read.headers['preference-applied']]).toEqual([
        200,
        'queued',
        undefined,
      ]);
    }
  });

  it('shows a dead command with the problem that killed it', async () => {
    const b = await bank({ worker: true });
    const accepted = await deposit(b, { accountId: 'a1', amount: 5000 });
    const read = await status(b, accepted.headers.location as string, { prefer: 'wait=10' });
    expect(read.json()).toEqual({
      id: accepted.json().id,
      type: 'bank.Deposit',
      status: 'dead',
      attempts: 1,
      problem: { code: 'DOMAIN_RULE', detail: 'Deposits stop at 1000' },
    });
  });

  it('hides the message of a failure whose code a caller cannot act on', async () => {
    const b = await bank({ worker: true });
    const accepted = await b.server.inject({
      method: 'POST',
      url: '/api/commands/bank.Explode',
      payload: {},
      headers: { authorization: TELLER, prefer: 'respond-async' },
    });
    const read = await status(b, accepted.headers.location as string, { prefer: 'wait=10' });
    expect(read.json()).toMatchObject({
      status: 'dead',
      problem: { code: 'INTERNAL', detail: 'The command failed unexpectedly. Quote its id when you report it.' },
    });
    expect(read.body).not.toContain('secret');
  });

  it('answers 404 to anyone but the caller who queued the command, as to an unknown id', async () => {
    const b = await bank();
    const location = (await deposit(b, { accountId: 'a1', amount: 10 })).headers.location as string;
    for (const authorization of [OTHER_TELLER, AUDITOR, '']) {
      const read = await status(b, location, { authorization });
      expect([read.statusCode, problem(read).code]).toEqual([404, 'NOT_FOUND']);
    }
    const unknown = await status(b, '/api/commands/status/3f1c0b7e-8d3b-4a8e-9a36-1f0e4e2b9c11');
    expect([unknown.statusCode, problem(unknown).code, problem(unknown).detail]).toEqual([
      404,
      'NOT_FOUND',
      'There is no queued command 3f1c0b7e-8d3b-4a8e-9a36-1f0e4e2b9c11',
    ]);
  });

  it('lets canReadCommand open the status to others', async () => {
    const b = await bank({
      plugin: {
        canReadCommand: (principal, command) =>
          principal?.roles?.includes('auditor') === true || principal?.id === command.envelope.principal?.id,
      },
    });
    const location = (await deposit(b, { accountId: 'a1', amount: 10 })).headers.location as string;
    expect((await status(b, location, { authorization: AUDITOR })).statusCode).toBe(200);
    expect((await status(b, location)).statusCode).toBe(200);
    expect((await status(b, location, { authorization: OTHER_TELLER })).statusCode).toBe(404);
  });

  it('answers a malformed id with 400', async () => {
    const b = await bank();
    for (const id of ['x'.repeat(129), 'x'.repeat(5000), '', 'a/b', 'a%2Fb', '%00', 'a%20b', '%E2%9C%93']) {
      const read = await status(b, `/api/commands/status/${id}`);
      expect([read.statusCode, problem(read).code]).toEqual([400, 'MALFORMED_REQUEST']);
    }
  });
});
