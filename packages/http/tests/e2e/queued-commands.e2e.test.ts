// Commands sent with `Prefer: respond-async`: queued after validation and authorization, answered 202 with a
// status resource that only their sender reads, that waits with `Prefer: wait=N`, and whose position a query
// honours. In process (fastify.inject), on the memory database's queue.
import type { CommandQueueStore, memory } from '@twofold/core';
import { queuedCommand } from '@twofold/core/testing';
import { MAX_WAIT_SECONDS } from '@twofold/core/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
async function bank(
  options: {
    worker?: boolean;
    plugin?: Partial<TwofoldHttpOptions>;
    queue?: boolean;
    /** false: the plugin has no authenticate, and every caller is anonymous. */
    auth?: boolean;
    /** Wraps the database's queue before the plugin gets it. */
    wrap?: (queue: CommandQueueStore) => CommandQueueStore;
  } = {},
) {
  const { app, db } = bankApp(options);
  await app.start();
  const server = Fastify();
  await server.register(twofoldHttp, {
    prefix: '/api',
    mediator: app.mediator,
    ...(options.auth === false ? {} : { authenticate: bearer((token) => principals.get(token)) }),
    ...(options.queue === false ? {} : { queue: options.wrap?.(db.commands) ?? db.commands }),
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

  /** The real queue, with a promise of the moment a status wait starts listening for the command to settle. */
  function watched() {
    let listening!: () => void;
    const subscribed = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const wrap = (queue: CommandQueueStore): CommandQueueStore =>
      new Proxy(queue, {
        get(target, property) {
          const value = Reflect.get(target, property, target);
          if (property !== 'onSettled') return typeof value === 'function' ? value.bind(target) : value;
          return (listener: (id: string | undefined) => void) => {
            const stop = target.onSettled(listener);
            listening();
            return stop;
          };
        },
      });
    return { wrap, subscribed };
  }

  /** Starts a `Prefer: wait=20` read with timers stopped, and resolves once it waits: only a settle can end it. */
  async function waiting(b: Bank, location: string, subscribed: Promise<void>) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const reading = status(b, location, { prefer: 'wait=20' });
    await subscribed;
    // The wait has read the command again and set its timer.
    while (vi.getTimerCount() === 0) await new Promise((resolve) => setImmediate(resolve));
    // Wrapped: an async function would wait for the answer it returns.
    return { reading };
  }

  it('ends a wait when the command completes in this process, with no timer left to fire', async () => {
    const { wrap, subscribed } = watched();
    const b = await bank({ wrap });
    const accepted = await deposit(b, { accountId: 'a1', amount: 10 });
    try {
      const { reading } = await waiting(b, accepted.headers.location as string, subscribed);
      const [claimed] = await queued(b);
      const done = { result: { accountId: 'a1' }, position: undefined };
      expect(await b.db.commands.complete(claimed!.id, claimed!.lease, done, Date.now())).toBe(true);
      const read = await reading;
      expect([read.statusCode, read.json().status]).toEqual([200, 'succeeded']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends a wait when the command is cancelled with DELETE, with no timer left to fire', async () => {
    const { wrap, subscribed } = watched();
    const b = await bank({ wrap });
    const location = (await deposit(b, { accountId: 'a1', amount: 10 })).headers.location as string;
    try {
      const { reading } = await waiting(b, location, subscribed);
      const cancelled = await b.server.inject({ method: 'DELETE', url: location, headers: { authorization: TELLER } });
      expect(cancelled.statusCode).toBe(200);
      const read = await reading;
      expect([read.statusCode, read.json().status]).toEqual([200, 'cancelled']);
    } finally {
      vi.useRealTimers();
    }
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

describe('DELETE /commands/status/{id}', () => {
  const cancel = (b: Bank, location: string, authorization = TELLER) =>
    b.server.inject({
      method: 'DELETE',
      url: location,
      headers: authorization === '' ? {} : { authorization },
    });
  const problemOf = { code: 'UNAVAILABLE', message: 'The ledger is down' };

  it('cancels a queued command: 200 with its status cancelled, again on a repeat, and no worker runs it', async () => {
    const b = await bank();
    const accepted = await deposit(b, { accountId: 'a1', amount: 10 });
    const location = accepted.headers.location as string;
    const id = accepted.json().id;
    const first = await cancel(b, location);
    expect([first.statusCode, first.json()]).toEqual([
      200,
      { id, type: 'bank.Deposit', status: 'cancelled', attempts: 0 },
    ]);
    const again = await cancel(b, location);
    expect([again.statusCode, again.json().status]).toEqual([200, 'cancelled']);
    expect(await queued(b)).toEqual([]);
    expect((await status(b, location)).json().status).toBe('cancelled');
  });

  it('cancels a failed command awaiting its retry', async () => {
    const b = await bank();
    const location = (await deposit(b, { accountId: 'a1', amount: 10 })).headers.location as string;
    const [claimed] = await queued(b);
    const now = Date.now();
    expect(await b.db.commands.fail(claimed!.id, claimed!.lease, problemOf, now + 60_000, now)).toBe(true);
    const response = await cancel(b, location);
    expect([response.statusCode, response.json().status, response.json().attempts]).toEqual([200, 'cancelled', 1]);
    expect((await b.db.commands.get(claimed!.id))?.status).toBe('cancelled');
  });

  it('refuses a running, succeeded or dead command with 409 NOT_CANCELLABLE naming its status, and changes nothing', async () => {
    const b = await bank();
    const locations = [];
    for (const amount of [1, 2, 3]) locations.push((await deposit(b, { accountId: 'a1', amount })).headers.location);
    const [running, succeeded, dead] = await queued(b);
    const now = Date.now();
    expect(await b.db.commands.complete(succeeded!.id, succeeded!.lease, { result: 1, position: undefined }, now)).toBe(
      true,
    );
    expect(await b.db.commands.fail(dead!.id, dead!.lease, problemOf, undefined, now)).toBe(true);
    for (const [command, expected] of [
      [running!, 'running'],
      [succeeded!, 'succeeded'],
      [dead!, 'dead'],
    ] as const) {
      const location = locations.find((l) => l?.endsWith(command.id)) as string;
      const response = await cancel(b, location);
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(problem(response)).toMatchObject({
        code: 'NOT_CANCELLABLE',
        commandStatus: expected,
        detail: `Queued command ${command.id} is ${expected}: only a queued command, or a failed one awaiting its retry, can be cancelled`,
      });
      expect((await b.db.commands.get(command.id))?.status).toBe(expected);
    }
  });

  it('answers 404 to anyone but the caller who queued it, as to an unknown id, and cancels nothing', async () => {
    const b = await bank();
    const location = (await deposit(b, { accountId: 'a1', amount: 10 })).headers.location as string;
    for (const authorization of [OTHER_TELLER, AUDITOR, '']) {
      const response = await cancel(b, location, authorization);
      expect([response.statusCode, problem(response).code]).toEqual([404, 'NOT_FOUND']);
    }
    const unknown = await cancel(b, '/api/commands/status/3f1c0b7e-8d3b-4a8e-9a36-1f0e4e2b9c11');
    expect([unknown.statusCode, problem(unknown).code]).toEqual([404, 'NOT_FOUND']);
    expect((await status(b, location)).json().status).toBe('queued');
    const malformed = await cancel(b, `/api/commands/status/${'x'.repeat(129)}`);
    expect([malformed.statusCode, problem(malformed).code]).toEqual([400, 'MALFORMED_REQUEST']);
  });

  it("refuses anonymous callers a command queued with no principal (a process manager's) when callers sign in", async () => {
    const b = await bank();
    await b.db.commands.enqueue(
      queuedCommand('checkout:b1:2:0', { envelope: { ...queuedCommand('x').envelope, principal: undefined } }),
    );
    const location = '/api/commands/status/checkout:b1:2:0';
    for (const method of ['GET', 'DELETE'] as const) {
      const response = await b.server.inject({ method, url: location });
      expect([response.statusCode, problem(response).code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await b.db.commands.get('checkout:b1:2:0'))?.status).toBe('queued');
    await b.close();
    // Without authenticate, every caller is anonymous: the command is theirs to read and cancel.
    const open = await bank({ auth: false });
    await open.db.commands.enqueue(
      queuedCommand('job-1', { envelope: { ...queuedCommand('x').envelope, principal: undefined } }),
    );
    const cancelled = await open.server.inject({ method: 'DELETE', url: '/api/commands/status/job-1' });
    expect([cancelled.statusCode, cancelled.json().status]).toEqual([200, 'cancelled']);
  });

  it('lets canReadCommand open cancelling to others', async () => {
    const b = await bank({
      plugin: { canReadCommand: (principal) => principal?.roles?.includes('auditor') === true },
    });
    const location = (await deposit(b, { accountId: 'a1', amount: 10 })).headers.location as string;
    expect((await cancel(b, location, OTHER_TELLER)).statusCode).toBe(404);
    const response = await cancel(b, location, AUDITOR);
    expect([response.statusCode, response.json().status]).toEqual([200, 'cancelled']);
  });

  it('answers another method with 405 METHOD_NOT_ALLOWED and Allow, and changes nothing', async () => {
    const b = await bank();
    const location = (await deposit(b, { accountId: 'a1', amount: 10 })).headers.location as string;
    for (const method of ['PUT', 'PATCH', 'POST'] as const) {
      const response = await b.server.inject({ method, url: location, headers: { authorization: TELLER } });
      expect([response.statusCode, problem(response).code, response.headers.allow]).toEqual([
        405,
        'METHOD_NOT_ALLOWED',
        'GET, DELETE',
      ]);
    }
    expect((await status(b, location)).json().status).toBe('queued');
  });

  it('answers 404 when the plugin has no queue', async () => {
    const b = await bank({ queue: false });
    const response = await cancel(b, '/api/commands/status/anything');
    expect([response.statusCode, problem(response).code]).toEqual([404, 'NOT_FOUND']);
  });
});
