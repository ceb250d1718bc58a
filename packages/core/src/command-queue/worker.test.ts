import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { twofold } from '../app/twofold.js';
import { memory } from '../database/memory.js';
import { DomainError, isTwofoldError, UnavailableError } from '../errors/errors.js';
import { streamId } from '../event-store/records.js';
import { defineCommand, defineEvent, defineQuery } from '../messages/define.js';
import { authorize, hasRole } from '../middleware/authorize.js';
import type { DocumentTx } from '../projections/documents.js';
import { projection } from '../projections/projection.js';
import { defineDecider } from '../write-model/models.js';
import type { ClaimRequest, CommandCompletion, CommandQueueStore } from './ports.js';
import { CommandWorker } from './worker.js';

const Deposit = defineCommand('bank.Deposit', z.object({ accountId: z.string(), amount: z.number().positive() }));
const Deposited = defineEvent('bank.Deposited', z.object({ accountId: z.string(), amount: z.number() }));
const Flaky = defineCommand('test.Flaky', z.object({ failures: z.number() }), { result: z.number() });
const Slow = defineCommand('test.Slow', z.object({ n: z.number() }));
const Balance = defineQuery('bank.Balance', z.object({ accountId: z.string() }), z.number());

const account = defineDecider({
  name: 'account',
  commands: [Deposit],
  events: [Deposited],
  initialState: () => 0,
  evolve: (balance, event) => balance + event.data.amount,
  decide: (command) => {
    if (command.data.amount > 1_000) throw new DomainError('TOO_MUCH', 'Deposits stop at 1000');
    return [{ type: 'bank.Deposited', data: command.data }];
  },
});
const balances = projection<DocumentTx>('balances').on(Deposited, async ({ accountId, amount }, tx) => {
  const documents = tx.collection<{ amount: number }>('balances');
  documents.put(accountId, { amount: ((await documents.get(accountId))?.amount ?? 0) + amount });
});

// Seeded, so that the jitter is the same on every run.
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A promise and the function that resolves it, for a test to hold a handler or a store call until it lets go. */
function latch(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

function bank(options: { readonly slow?: (n: number, signal: AbortSignal | undefined) => Promise<void> } = {}) {
  let flakyCalls = 0;
  const app = twofold({ store: memory(), logger: quiet })
    .decider(account, { stream: ({ data }) => streamId('account', data.accountId) })
    .projection(balances)
    .query(
      Balance,
      async ({ accountId }, { read }) =>
        (await read(balances).collection<{ amount: number }>('balances').get(accountId))?.amount ?? 0,
      {
        reads: [balances],
      },
    )
    .command(Flaky, ({ failures }) => {
      flakyCalls++;
      if (flakyCalls <= failures) throw new UnavailableError(`down (${flakyCalls})`);
      return flakyCalls;
    })
    .command(Slow, ({ n }, { signal }) => options.slow?.(n, signal) ?? Promise.resolve())
    .use(authorize({ commands: { default: hasRole('clerk') }, queries: () => true }));
  const worker = (concurrency = 4) =>
    new CommandWorker({
      store: app.store.commands!,
      mediator: app.mediator,
      concurrency,
      pollIntervalMs: 20,
      retry: { baseDelayMs: 1, maxDelayMs: 4, maxAttempts: 3, random: seeded(7) },
    });
  return { app, worker };
}

const clerk = { principal: { id: 'ada', roles: ['clerk'] } };

/** `store` with some of its methods replaced (each replacement gets the store itself to call through). */
function overriding(
  store: CommandQueueStore,
  overrides: Partial<Pick<CommandQueueStore, 'complete' | 'claim' | 'fail' | 'renew'>>,
): CommandQueueStore {
  return new Proxy(store, {
    get(target, name) {
      const override = overrides[name as keyof typeof overrides];
      if (override !== undefined) return override;
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('enqueue and the command worker', () => {
  it('validates and authorizes at once, stores nothing refused, and runs the rest later like send', async () => {
    const { app, worker } = bank();
    await app.start();
    const invalid = await app.enqueue(Deposit, { accountId: 'a1', amount: -1 }, clerk).catch((e: unknown) => e);
    expect(isTwofoldError(invalid, 'VALIDATION_FAILED')).toBe(true);
    const forbidden = await app
      .enqueue(Deposit, { accountId: 'a1', amount: 5 }, { principal: { id: 'eve' } })
      .catch((e: unknown) => e);
    expect(isTwofoldError(forbidden, 'FORBIDDEN')).toBe(true);
    const badOption = await app.enqueue(Deposit, { accountId: 'a1', amount: 5 }, { key: '' }).catch((e: unknown) => e);
    expect(isTwofoldError(badOption, 'INVALID_ARGUMENT')).toBe(true);

    const queued = await app.enqueue(Deposit, { accountId: 'a1', amount: 5 }, { ...clerk, correlationId: 'c-1' });
    expect([queued.status, queued.type, queued.envelope.principal?.id, queued.envelope.correlationId]).toEqual([
      'queued',
      'bank.Deposit',
      'ada',
      'c-1',
    ]);
    expect(await app.ask(Balance, { accountId: 'a1' })).toBe(0);
    expect((await app.store.commands!.get(queued.id))?.data).toEqual({ accountId: 'a1', amount: 5 });
    expect(await worker().drain()).toBe(1);
    const done = await app.commandStatus(queued.id);
    expect([done?.status, done?.attempts, typeof done?.position]).toEqual(['succeeded', 1, 'number']);
    expect(await app.ask(Balance, { accountId: 'a1' }, { after: done!.position })).toBe(5);
    await app.close();
  });

  it('retries a failing command with backoff until it succeeds, and makes one dead after its last attempt', async () => {
    const { app, worker } = bank();
    await app.start();
    const running = worker().start();
    const { id } = await app.enqueue(Flaky, { failures: 2 }, clerk);
    await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
    const done = await app.commandStatus(id);
    expect([done?.attempts, done?.result]).toEqual([3, 3]);

    const dead = await app.enqueue(Flaky, { failures: 100 }, clerk);
    await expect.poll(async () => (await app.commandStatus(dead.id))?.status).toBe('dead');
    const record = await app.commandStatus(dead.id);
    expect([record?.attempts, record?.problem]).toEqual([3, { code: 'UNAVAILABLE', message: 'down (6)' }]);
    expect((await app.store.commands!.dead()).map((c) => c.id)).toEqual([dead.id]);
    await running.stop();
    await app.close();
  });

  it('makes a command dead at once when a retry cannot change its outcome (a domain rule)', async () => {
    const { app, worker } = bank();
    await app.start();
    const { id } = await app.enqueue(Deposit, { accountId: 'a1', amount: 5_000 }, clerk);
    await worker().drain();
    const dead = await app.commandStatus(id);
    expect([dead?.status, dead?.attempts, dead?.problem?.code]).toEqual(['dead', 1, 'DOMAIN_RULE']);
    await app.close();
  });

  it('runs commands with one key one after another, in enqueue order, however many workers run', async () => {
    const log: string[] = [];
    const { app, worker } = bank({
      slow: async (n) => {
        log.push(`start ${n}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end ${n}`);
      },
    });
    await app.start();
    const workers = [worker(4).start(), worker(4).start()];
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push((await app.enqueue(Slow, { n }, { ...clerk, key: 'one' })).id);
    await expect.poll(async () => (await app.commandStatus(ids.at(-1)!))?.status).toBe('succeeded');
    expect(log).toEqual([1, 2, 3, 4, 5].flatMap((n) => [`start ${n}`, `end ${n}`]));
    await Promise.all(workers.map((w) => w.stop()));
    await app.close();
  });

  it('never runs a cancelled command, nor one before its time', async () => {
    const { app, worker } = bank();
    await app.start();
    const cancelled = await app.enqueue(Deposit, { accountId: 'a1', amount: 5 }, clerk);
    const later = await app.enqueue(
      Deposit,
      { accountId: 'a1', amount: 7 },
      { ...clerk, runAt: Date.now() + 3_600_000 },
    );
    expect(await app.cancelCommand(cancelled.id)).toBe(true);
    expect(await worker().drain()).toBe(0);
    expect((await app.commandStatus(cancelled.id))?.status).toBe('cancelled');
    expect((await app.commandStatus(later.id))?.status).toBe('queued');
    expect(await app.cancelCommand(cancelled.id)).toBe(false);
    await app.close();
  });

  it('on stop, lets a running command finish before it resolves', async () => {
    let started: () => void = () => {};
    let finish: () => void = () => {};
    const startedOnce = new Promise<void>((resolve) => (started = resolve));
    const { app } = bank({
      slow: () =>
        new Promise<void>((resolve) => {
          finish = resolve;
          started();
        }),
    });
    await app.start();
    const worker = new CommandWorker({ store: app.store.commands!, mediator: app.mediator }).start();
    const { id } = await app.enqueue(Slow, { n: 1 }, clerk);
    await startedOnce;
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect([stopped, (await app.commandStatus(id))?.status]).toEqual([false, 'running']);
    finish();
    await stopping;
    expect((await app.commandStatus(id))?.status).toBe('succeeded');
    await app.close();
  });

  it('on stop, cancels a running command that outlasts the stop timeout and releases it uncounted', async () => {
    let started: () => void = () => {};
    const startedOnce = new Promise<void>((resolve) => (started = resolve));
    // The handler settles only when the stop timeout cancels it.
    const { app } = bank({
      slow: (_, signal) =>
        new Promise<void>((resolve) => {
          started();
          signal?.addEventListener('abort', () => resolve());
        }),
    });
    await app.start();
    const worker = new CommandWorker({ store: app.store.commands!, mediator: app.mediator, stopTimeoutMs: 1 }).start();
    const { id } = await app.enqueue(Slow, { n: 2 }, clerk);
    await startedOnce;
    await worker.stop();
    const released = await app.commandStatus(id);
    expect([released?.status, released?.attempts]).toEqual(['queued', 0]);
    await app.close();
  });

  it('runs more than ten commands at once without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let allRunning: () => void = () => {};
    const twelveRunning = new Promise<void>((resolve) => (allRunning = resolve));
    const { app } = bank({
      slow: async () => {
        if (++running === 12) allRunning();
        await released;
      },
    });
    await app.start();
    for (let n = 0; n < 12; n++) await app.enqueue(Slow, { n }, clerk);
    const worker = new CommandWorker({ store: app.store.commands!, mediator: app.mediator, concurrency: 12 }).start();
    try {
      await twelveRunning;
      // Node emits its warnings on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      release();
      await worker.stop();
      await app.close();
    }
  });

  it('is added to the app with worker(), started by start() and stopped by close()', async () => {
    const { app } = bank();
    app.worker({ pollIntervalMs: 20 });
    await app.start();
    const { id } = await app.enqueue(Deposit, { accountId: 'a1', amount: 5 }, clerk);
    await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
    await app.close();
    expect(() => app.worker()).toThrow('closed');
  });

  it('fills the slots of commands that finish together with one claim', async () => {
    const { promise: gate, resolve: open } = latch();
    // Each command ends in a callback of its own, all in one turn of the event loop.
    const { app } = bank({
      slow: async () => {
        await gate;
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    await app.start();
    const store = app.store.commands!;
    const claimed: number[] = [];
    const counting = new Proxy(store, {
      get(target, name) {
        if (name === 'claim') {
          return async (request: Parameters<typeof store.claim>[0]) => {
            const commands = await target.claim(request);
            if (commands.length > 0) claimed.push(commands.length);
            return commands;
          };
        }
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const ids = [];
    for (let n = 0; n < 8; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({ store: counting, mediator: app.mediator, concurrency: 4, pollIntervalMs: 20 });
    worker.start();
    await expect.poll(() => claimed).toEqual([4]);
    // The four running commands finish in one turn: the worker claims the next four at once, not one at a time.
    open();
    for (const id of ids) await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
    expect(claimed).toEqual([4, 4]);
    await worker.stop();
    await app.close();
  });

  it('runs the next command while the outcome of the one before commits, and stop() waits for that outcome', async () => {
    const started: number[] = [];
    const { promise: second, resolve: bothStarted } = latch();
    const { app } = bank({
      slow: async (n) => {
        started.push(n);
        if (started.length === 2) bothStarted();
      },
    });
    await app.start();
    const store = app.store.commands!;
    const { promise: gate, resolve: open } = latch();
    // The first completion is held until the test opens the gate: a worker that frees its one place only once an
    // outcome is recorded never starts the second command.
    let held = false;
    const slowOutcomes = new Proxy(store, {
      get(target, name) {
        if (name === 'complete') {
          return async (...args: Parameters<typeof store.complete>) => {
            if (!held) {
              held = true;
              await gate;
            }
            return target.complete(...args);
          };
        }
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const ids = [];
    for (let n = 0; n < 2; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({ store: slowOutcomes, mediator: app.mediator, concurrency: 1 }).start();
    await second;
    expect(started).toEqual([0, 1]);
    expect((await app.commandStatus(ids[0]!))?.status).toBe('running');
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    open();
    await stopping;
    expect(await Promise.all(ids.map(async (id) => (await app.commandStatus(id))?.status))).toEqual([
      'succeeded',
      'succeeded',
    ]);
    await app.close();
  });
  it('claims the next command of a key as soon as the outcome of the one before commits, not at its next poll', async () => {
    const { app } = bank();
    await app.start();
    const store = app.store.commands!;
    const { promise: gate, resolve: open } = latch();
    const { promise: blocked, resolve: foundNone } = latch();
    // The first completion waits for the gate: meanwhile the worker's place is free, and its claim finds the second
    // command behind the first, still running, of its key.
    let first = true;
    const slowOutcomes = overriding(store, {
      complete: async (...args) => {
        if (first) {
          first = false;
          await gate;
        }
        return store.complete(...args);
      },
      claim: async (...args) => {
        const claimed = await store.claim(...args);
        if (claimed.length === 0 && !first) foundNone();
        return claimed;
      },
    });
    const ids: string[] = [];
    for (let n = 0; n < 2; n++) ids.push((await app.enqueue(Slow, { n }, { ...clerk, key: 'one' })).id);
    // Polls an hour apart: only the first outcome's commit can start the second command.
    const worker = new CommandWorker({
      store: slowOutcomes,
      mediator: app.mediator,
      concurrency: 1,
      pollIntervalMs: 3_600_000,
    }).start();
    await blocked;
    expect((await app.commandStatus(ids[1]!))?.status).toBe('queued');
    open();
    await expect.poll(async () => (await app.commandStatus(ids[1]!))?.status).toBe('succeeded');
    await worker.stop();
    await app.close();
  });
  it('leaves a command whose success it could not record to its lease, not to a retry: it runs again, with one effect', async () => {
    const { app } = bank();
    await app.start();
    const store = app.store.commands!;
    const calls = { complete: 0, fail: 0 };
    const errors: string[] = [];
    // The first completion fails, as when the database goes away just then.
    const flakyOutcomes = overriding(store, {
      complete: async (...args) => {
        if (calls.complete++ === 0) throw new Error('the database went away');
        return store.complete(...args);
      },
      fail: (...args) => {
        calls.fail++;
        return store.fail(...args);
      },
    });
    const { id } = await app.enqueue(Deposit, { accountId: 'a1', amount: 5 }, clerk);
    const worker = new CommandWorker({
      store: flakyOutcomes,
      mediator: app.mediator,
      concurrency: 1,
      leaseMs: 30,
      pollIntervalMs: 10,
      logger: { ...quiet, error: (_: unknown, message: string) => errors.push(message) },
    }).start();
    await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
    await worker.stop();
    expect(calls).toEqual({ complete: 2, fail: 0 });
    expect(errors).toEqual([`Could not record the outcome of command ${id}`]);
    expect((await app.commandStatus(id))?.attempts).toBe(2);
    expect(await app.ask(Balance, { accountId: 'a1' }, { after: (await app.commandStatus(id))?.position })).toBe(5);
    await app.close();
  });

  it.each([
    [0, 4],
    [3, 7],
  ])(
    'holds no more than twice its concurrency, plus %i claimed ahead, in commands whose outcomes are not yet recorded (%i)',
    async (claimAhead, most) => {
      const { app } = bank();
      await app.start();
      const store = app.store.commands!;
      const { promise: gate, resolve: open } = latch();
      let claimed = 0;
      const heldOutcomes = overriding(store, {
        complete: async (...args) => {
          await gate;
          return store.complete(...args);
        },
        claim: async (...args) => {
          const found = await store.claim(...args);
          claimed += found.length;
          return found;
        },
      });
      const ids: string[] = [];
      for (let n = 0; n < 20; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
      const worker = new CommandWorker({
        store: heldOutcomes,
        mediator: app.mediator,
        concurrency: 2,
        claimAhead,
        // Whatever the pace of the first handlers: the bound alone is tested.
        claimAheadMs: 3_600_000,
        pollIntervalMs: 3_600_000,
      }).start();
      // The handlers finish at once, their outcomes wait: a worker that claimed while outcomes piled up would go on
      // through the queue in these turns.
      await expect.poll(() => claimed).toBe(most);
      for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(claimed).toBe(most);
      open();
      await expect.poll(async () => (await app.commandStatus(ids.at(-1)!))?.status).toBe('succeeded');
      await worker.stop();
      await app.close();
    },
  );
});

describe('a worker that claims ahead of its free places', () => {
  // The store with each claim's limit and count of commands noted.
  function noting(store: CommandQueueStore) {
    const claims: { limit: number; found: number }[] = [];
    const noted = overriding(store, {
      claim: async (request) => {
        const found = await store.claim(request);
        if (found.length > 0) claims.push({ limit: request.limit, found: found.length });
        return found;
      },
    });
    return { noted, claims };
  }

  // Enqueues the commands 0 to count - 1; the first, ahead of the others by its priority, runs alone and sets the
  // pace, and the next claim takes the others: the second takes the one place, the rest wait for it.
  async function enqueueFirstAhead(app: ReturnType<typeof bank>['app'], count: number): Promise<string[]> {
    const ids = [(await app.enqueue(Slow, { n: 0 }, { ...clerk, priority: 1 })).id];
    for (let n = 1; n < count; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    return ids;
  }

  // Resolves once every one of `ids` is running: claimed, and waiting for a place when the worker's places are held.
  async function allRunning(app: ReturnType<typeof bank>['app'], ids: readonly string[]): Promise<void> {
    await expect
      .poll(async () => Promise.all(ids.map(async (id) => (await app.commandStatus(id))?.status)))
      .toEqual(ids.map(() => 'running'));
  }

  it('claims more commands than it has places once its commands run fast, and runs them one place at a time, in order', async () => {
    let running = 0;
    let most = 0;
    const ran: number[] = [];
    const { app } = bank({
      slow: async (n) => {
        running++;
        most = Math.max(most, running);
        ran.push(n);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
      },
    });
    await app.start();
    const { noted, claims } = noting(app.store.commands!);
    const ids: string[] = [];
    for (let n = 0; n < 100; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({
      store: noted,
      mediator: app.mediator,
      concurrency: 1,
      claimAheadMs: 3_600_000,
    }).start();
    await expect.poll(async () => (await app.commandStatus(ids.at(-1)!))?.status).toBe('succeeded');
    await worker.stop();
    // The first claim, before any handler has run, is for the one place; the next ones for 64 more (claimAheadMs an
    // hour: whatever the pace of these handlers, as many as claimAhead allows).
    expect(claims[0]).toEqual({ limit: 1, found: 1 });
    expect(claims[1]).toEqual({ limit: 65, found: 65 });
    expect(Math.max(...claims.map((claim) => claim.limit))).toBe(65);
    expect(claims.reduce((sum, claim) => sum + claim.found, 0)).toBe(100);
    expect(most).toBe(1);
    expect(ran).toEqual(ids.map((_, n) => n));
    const statuses = await Promise.all(ids.map(async (id) => (await app.commandStatus(id))?.attempts));
    expect(statuses).toEqual(ids.map(() => 1));
    await app.close();
  });

  it('claims for its free places alone while its commands take longer than the 10 ms it claims ahead for', async () => {
    const { app } = bank({ slow: () => new Promise((resolve) => setTimeout(resolve, 25)) });
    await app.start();
    const { noted, claims } = noting(app.store.commands!);
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({ store: noted, mediator: app.mediator, concurrency: 1 }).start();
    await expect.poll(async () => (await app.commandStatus(ids.at(-1)!))?.status).toBe('succeeded');
    await worker.stop();
    expect(claims).toEqual(ids.map(() => ({ limit: 1, found: 1 })));
    await app.close();
  });

  it('on stop gives back the commands it claimed ahead that still wait for a place, uncounted', async () => {
    const { promise: gate, resolve: open } = latch();
    const { promise: held, resolve: entered } = latch();
    const { app } = bank({
      slow: async (n) => {
        if (n !== 1) return;
        entered();
        await gate;
      },
    });
    await app.start();
    const ids = await enqueueFirstAhead(app, 5);
    const worker = new CommandWorker({
      store: app.store.commands!,
      mediator: app.mediator,
      concurrency: 1,
      claimAheadMs: 3_600_000,
    }).start();
    await held;
    const waiting = ids.slice(2);
    await allRunning(app, waiting);
    const stopping = worker.stop();
    open();
    await stopping;
    const status = async (id: string) => {
      const command = await app.commandStatus(id);
      return [command?.status, command?.attempts];
    };
    expect(await Promise.all(ids.slice(0, 2).map(status))).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
    expect(await Promise.all(waiting.map(status))).toEqual(waiting.map(() => ['queued', 0]));
    await app.close();
  });

  it('renews the lease of a command it claimed ahead while the command runs', async () => {
    const { promise: gate, resolve: open } = latch();
    const { promise: renewedOnce, resolve: renewed } = latch();
    const renewals: string[] = [];
    let ids: string[] = [];
    const { app } = bank({
      slow: async (n) => {
        if (n === 1) await gate;
        // The third, claimed ahead behind the second, runs until its lease has been renewed.
        if (n === 2) await renewedOnce;
      },
    });
    await app.start();
    const store = app.store.commands!;
    const noted = overriding(store, {
      renew: (id, ...rest) => {
        renewals.push(id);
        if (id === ids[2]) renewed();
        return store.renew(id, ...rest);
      },
    });
    ids = await enqueueFirstAhead(app, 3);
    const worker = new CommandWorker({
      store: noted,
      mediator: app.mediator,
      concurrency: 1,
      claimAheadMs: 3_600_000,
      leaseMs: 60,
    }).start();
    await allRunning(app, ids.slice(2));
    open();
    await expect.poll(async () => (await app.commandStatus(ids[2]!))?.status).toBe('succeeded');
    await worker.stop();
    expect((await app.commandStatus(ids[2]!))?.attempts).toBe(1);
    expect(renewals).toContain(ids[2]);
    await app.close();
  });

  it('gives back the commands claimed ahead behind a handler that hangs, for another worker to run, and claims no more ahead meanwhile', async () => {
    const { promise: hung, resolve: hangs } = latch();
    const { app } = bank({
      slow: async (n, signal) => {
        if (n !== 1) return;
        hangs();
        await new Promise((resolve) => signal?.addEventListener('abort', resolve));
      },
    });
    await app.start();
    const [first, hanging, ...ids] = await enqueueFirstAhead(app, 6);
    const stalled = new CommandWorker({
      store: app.store.commands!,
      mediator: app.mediator,
      concurrency: 1,
      // Claims ahead once its first handler has run in less than 200 ms; gives back what still waits after 300 ms.
      claimAheadMs: 200,
      leaseMs: 900,
      pollIntervalMs: 20,
      stopTimeoutMs: 1,
    }).start();
    await hung;
    await allRunning(app, ids);
    // A worker with a free place: once the stalled one gives the waiting commands back, it runs them, while the
    // hanging command still holds the stalled worker's one place.
    const free = new CommandWorker({ store: app.store.commands!, mediator: app.mediator, pollIntervalMs: 20 }).start();
    for (const id of ids) {
      await expect.poll(async () => (await app.commandStatus(id))?.status, { timeout: 3_000 }).toBe('succeeded');
    }
    const hangingNow = await app.commandStatus(hanging!);
    expect([hangingNow?.status, hangingNow?.attempts]).toEqual(['running', 1]);
    // Given back uncounted: each ran in one attempt.
    const attempts = await Promise.all([first!, ...ids].map(async (id) => (await app.commandStatus(id))?.attempts));
    expect(attempts).toEqual([first, ...ids].map(() => 1));
    // Stopped, the stalled worker cancels the hanging command after its stop timeout and gives it back uncounted.
    await free.stop();
    await stalled.stop();
    const released = await app.commandStatus(hanging!);
    expect([released?.status, released?.attempts]).toEqual(['queued', 0]);
    await app.close();
  });

  it('refuses a claimAhead that is not a whole number from 0, and a claimAheadMs that is not one from 1', () => {
    const { app } = bank();
    const make = (options: { claimAhead?: number; claimAheadMs?: number }) =>
      new CommandWorker({ store: app.store.commands!, mediator: app.mediator, ...options });
    expect(() => make({ claimAhead: -1 })).toThrow('CommandWorker: options.claimAhead must be an integer >= 0; got -1');
    expect(() => make({ claimAhead: 1.5 })).toThrow('options.claimAhead must be an integer >= 0; got 1.5');
    expect(() => make({ claimAheadMs: 0 })).toThrow('options.claimAheadMs must be an integer >= 1; got 0');
    expect(make({ claimAhead: 0 })).toBeInstanceOf(CommandWorker);
  });
});

describe('a worker on a store that completes and claims in one call', () => {
  // The memory queue with completeAndClaim made of its complete and claim; `failing` calls of it throw first.
  function oneCall(store: CommandQueueStore, options: { failing?: number } = {}) {
    const calls = { claim: 0, completeAndClaim: 0, complete: 0, sizes: [] as number[] };
    let failing = options.failing ?? 0;
    const both: CommandQueueStore = new Proxy(store, {
      get(target, name) {
        if (name === 'completeAndClaim') {
          return async (completions: readonly CommandCompletion[], request: ClaimRequest) => {
            calls.completeAndClaim++;
            calls.sizes.push(completions.length);
            if (failing-- > 0) throw new UnavailableError('the database is away');
            const completed = await Promise.all(
              completions.map(({ id, lease, success }) => target.complete(id, lease, success, request.now)),
            );
            return { completed, claimed: await target.claim(request) };
          };
        }
        if (name === 'claim' || name === 'complete') calls[name]++;
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { both, calls };
  }

  it('records each success with its next claim, in one call, and stop() waits for the last', async () => {
    const { app } = bank();
    await app.start();
    const { both, calls } = oneCall(app.store.commands!);
    const ids = [];
    for (let n = 0; n < 5; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({ store: both, mediator: app.mediator, concurrency: 1, claimAhead: 0 }).start();
    await expect.poll(() => calls.completeAndClaim).toBe(5);
    await worker.stop();
    expect(await Promise.all(ids.map(async (id) => (await app.commandStatus(id))?.status))).toEqual(
      ids.map(() => 'succeeded'),
    );
    expect([calls.completeAndClaim, calls.complete]).toEqual([5, 0]);
    // The first claim, and at most one more once the queue is empty (a wake-up kept from the enqueues).
    expect(calls.claim).toBeLessThanOrEqual(2);
    await app.close();
  });

  it('records the successes of commands that finish together with the next claim, all in one call', async () => {
    const { promise: gate, resolve: open } = latch();
    let begun = 0;
    const { app } = bank({
      slow: async (n) => {
        begun++;
        if (n < 4) await gate;
      },
    });
    await app.start();
    const { both, calls } = oneCall(app.store.commands!);
    const ids = [];
    for (let n = 0; n < 8; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({ store: both, mediator: app.mediator, concurrency: 4 }).start();
    await expect.poll(() => begun).toBe(4);
    open();
    for (const id of ids) await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
    await worker.stop();
    // The four held at the gate finish in one turn: their successes and the claim of the next four are one call.
    expect(calls.sizes[0]).toBe(4);
    expect(calls.sizes.reduce((sum, size) => sum + size, 0)).toBe(8);
    expect(calls.complete).toBe(0);
    await app.close();
  });

  it('claiming ahead, records the successes of the commands that ran while its claim was on its way with the next claim', async () => {
    const { app } = bank();
    await app.start();
    const { both, calls } = oneCall(app.store.commands!);
    const ids = [];
    for (let n = 0; n < 200; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({
      store: both,
      mediator: app.mediator,
      concurrency: 1,
      claimAheadMs: 3_600_000,
    }).start();
    for (const id of ids) await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
    await worker.stop();
    // One place: only successes handed over while a claim was on its way make a call record more than one.
    expect(Math.max(...calls.sizes)).toBeGreaterThan(1);
    expect(calls.sizes.reduce((sum, size) => sum + size, 0) + calls.complete).toBe(200);
    expect(calls.completeAndClaim).toBeLessThan(100);
    await app.close();
  });

  it('records a success on its own after a claim that found fewer commands than it had places for', async () => {
    const { app } = bank();
    await app.start();
    const { both, calls } = oneCall(app.store.commands!);
    const worker = new CommandWorker({ store: both, mediator: app.mediator, concurrency: 4 });
    const { id: first } = await app.enqueue(Slow, { n: 1 }, clerk);
    worker.start();
    await expect.poll(async () => (await app.commandStatus(first))?.status).toBe('succeeded');
    // The queue held one command for four places: the next claim finds only what a wake-up announces, and the loop
    // does not hold the success back for it.
    const { id: second } = await app.enqueue(Slow, { n: 2 }, clerk);
    await expect.poll(async () => (await app.commandStatus(second))?.status).toBe('succeeded');
    await worker.stop();
    expect([calls.completeAndClaim, calls.complete]).toEqual([0, 2]);
    await app.close();
  });

  it('records a success on its own when the call that would record it with the next claim fails', async () => {
    const { app } = bank();
    await app.start();
    const { both, calls } = oneCall(app.store.commands!, { failing: 1 });
    const ids = [];
    for (let n = 0; n < 3; n++) ids.push((await app.enqueue(Slow, { n }, clerk)).id);
    const worker = new CommandWorker({
      store: both,
      mediator: app.mediator,
      concurrency: 1,
      claimAhead: 0,
      pollIntervalMs: 5,
    });
    worker.start();
    for (const id of ids) await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
    await worker.stop();
    expect(calls.complete).toBe(1);
    expect((await Promise.all(ids.map((id) => app.commandStatus(id)))).map((c) => c?.attempts)).toEqual([1, 1, 1]);
    await app.close();
  });

  it('on stop, records a success handed over after the last claim on its own', async () => {
    const { promise: finishing, resolve: finish } = latch();
    const { promise: started, resolve: begun } = latch();
    const { app } = bank({
      slow: async () => {
        begun();
        await finishing;
      },
    });
    await app.start();
    const { both, calls } = oneCall(app.store.commands!);
    const { id } = await app.enqueue(Slow, { n: 1 }, clerk);
    const worker = new CommandWorker({ store: both, mediator: app.mediator, concurrency: 1 }).start();
    await started;
    const stopping = worker.stop();
    finish();
    await stopping;
    expect((await app.commandStatus(id))?.status).toBe('succeeded');
    expect([calls.completeAndClaim, calls.complete]).toEqual([0, 1]);
    await app.close();
  });
});
