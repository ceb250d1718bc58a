import { globalPosition, type QueuedCommand, streamId } from '@twofold/core';
import { commandQueueContract, queuedCommand, transactionalEnqueueContract } from '@twofold/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { migrate } from '../connection/migrations.js';
import { SchemaPool } from '../connection/schema-pool.js';
import { type PostgresDatabase, postgres } from '../index.js';
import { commandQueueMigrations } from './schema.js';
import { postgresQueue } from './statements.js';

const server = usePostgres();

// A client of its own that LISTENs, the payloads it heard, and a wait until it has heard `count` of them.
async function listening() {
  const listener = new pg.Client({ connectionString: server.url });
  await listener.connect();
  const heard: string[] = [];
  let next: () => void = () => {};
  listener.on('notification', ({ payload }) => {
    heard.push(payload ?? '');
    next();
  });
  const hearing = (count: number) =>
    new Promise<void>((resolve) => {
      next = () => heard.length >= count && resolve();
      next();
    });
  return { listener, heard, hearing };
}

// A status wait that never polls: it reads the command again only when onSettled hints that it may be final.
function settled(db: PostgresDatabase, id: string): Promise<QueuedCommand> {
  return new Promise((resolve, reject) => {
    let reading = Promise.resolve();
    const read = () => {
      reading = reading
        .then(async () => {
          const command = await db.commands.get(id);
          if (command?.status !== 'succeeded' && command?.status !== 'dead') return;
          stop();
          resolve(command);
        })
        .catch(reject);
    };
    const stop = db.commands.onSettled((heard) => {
      if (heard === undefined || heard === id) read();
    });
    read();
  });
}

commandQueueContract('PostgresCommandQueue', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { queue: db.commands, close: () => db.close() };
});

transactionalEnqueueContract('PostgresCommandQueue', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { events: db.events, commands: db.commands, close: () => db.close() };
});

describe('PostgresCommandQueue', () => {
  it('refuses a client that is not in one of its own transactions, and stores nothing', async () => {
    const db = await server.database();
    const other = await server.database();
    const command = queuedCommand(crypto.randomUUID());
    let refused: unknown;
    await other.events.commit({
      participants: [
        async (tx) => {
          refused = await db.commands.enqueueIn(tx, command).catch((error: unknown) => error);
        },
      ],
    });
    expect(refused).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('not in a transaction'),
    });
    expect([await db.commands.get(command.id), await other.commands.get(command.id)]).toEqual([undefined, undefined]);
  });

  it('stores a command once when two nodes enqueue its id at the same moment, and both get the stored one', async () => {
    const schema = server.schema();
    const here = await server.database({ schema });
    const there = await server.database({ schema });
    for (let round = 0; round < 30; round++) {
      const id = crypto.randomUUID();
      const [a, b] = await Promise.all([
        here.commands.enqueue({ ...queuedCommand(id), enqueuedAt: 1_000 }),
        there.commands.enqueue({ ...queuedCommand(id), enqueuedAt: 2_000 }),
      ]);
      expect(a).toEqual(b);
      expect([1_000, 2_000]).toContain(a.enqueuedAt);
      expect(a.status).toBe('queued');
    }
    const { rows } = await here.pool.query<{ n: string; ids: string }>(
      'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM twofold_commands',
    );
    expect(rows[0]).toEqual({ n: '30', ids: '30' });
  });

  it("holds an enqueue with a key until another node's transaction enqueueing that key ends, and numbers it after", async () => {
    const schema = server.schema();
    const here = await server.database({ schema });
    const there = await server.database({ schema });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let enqueued!: () => void;
    const holding = new Promise<void>((resolve) => {
      enqueued = resolve;
    });
    const first = here.events.commit({
      participants: [
        async (tx) => {
          await here.commands.enqueueIn(tx, { ...queuedCommand('first'), key: 'room-1' });
          enqueued();
          await gate;
        },
      ],
    });
    await holding;
    let returned = false;
    const second = there.commands.enqueue({ ...queuedCommand('second'), key: 'room-1' }).then((command) => {
      returned = true;
      return command;
    });
    // The second enqueue's statement waits for the key's lock, which the open transaction holds.
    await expect
      .poll(async () => {
        const { rows } = await here.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%twofold_commands%'",
        );
        return Number(rows[0]?.n);
      })
      .toBe(1);
    expect(returned).toBe(false);
    open();
    await first;
    expect((await second).status).toBe('queued');
    const { rows } = await here.pool.query<{ id: string }>(
      "SELECT id FROM twofold_commands WHERE key = 'room-1' ORDER BY seq",
    );
    expect(rows.map((r) => r.id)).toEqual(['first', 'second']);
  });

  it("wakes another node's subscribers with a NOTIFY when a command is enqueued", async () => {
    const schema = server.schema();
    const here = await server.database({ schema });
    const there = await server.database({ schema });
    let woken = 0;
    const unsubscribe = there.commands.subscribe(() => woken++);
    // Until the other node listens, a new command may slip by unnoticed: enqueue until one wakes it.
    await expect
      .poll(async () => {
        await here.commands.enqueue(queuedCommand(crypto.randomUUID()));
        return woken;
      })
      .toBeGreaterThan(0);
    unsubscribe();
  });

  it('wakes the workers in the commit of an enqueue made alone, and after the commits of enqueues made together', async () => {
    const schema = server.schema();
    const db = await server.database({ schema });
    const pool = new SchemaPool({ connection: server.url, schema }, 'test');
    const channel = `wake_${schema}`;
    const dialect = postgresQueue(pool, undefined, channel);
    const { listener, heard, hearing } = await listening();
    const row = (id: string) => {
      const command = queuedCommand(id);
      return { ...command, key: null, data: JSON.stringify(command.data), envelope: JSON.stringify(command.envelope) };
    };
    const enqueue = (id: string) =>
      dialect.run(function* (sql) {
        return yield dialect.enqueue!(sql, row(id));
      }) as Promise<{ inserted: boolean; told: boolean }>;
    try {
      await listener.query(`LISTEN "${channel}"`);
      expect(await enqueue('alone')).toMatchObject({ inserted: true, told: true });
      await hearing(1);
      // Heard once it committed: the command is there.
      expect(await db.commands.get('alone')).toMatchObject({ status: 'queued' });
      const together = await Promise.all(['t1', 't2', 't3'].map(enqueue));
      expect(together.map((e) => e.told)).toEqual([true, false, false]);
      // The same id again stores nothing and tells nothing.
      expect(await enqueue('alone')).toMatchObject({ inserted: false, told: false });
      await pool.query(`SELECT pg_notify($1, 'marker')`, [channel]);
      await hearing(3);
      expect(heard).toEqual(['', '', 'marker']);
    } finally {
      await listener.end();
      await pool.end();
    }
  });

  it('sends no NOTIFY of its own after an enqueue made alone, one after enqueues made together', async () => {
    const db = await server.database();
    const sent: string[] = [];
    const query = pg.Client.prototype.query;
    const counting = function (this: pg.Client, ...args: Parameters<typeof query>) {
      const [config] = args as unknown[];
      const text = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
      if (text === 'SELECT pg_notify($1, $2)') sent.push(text);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    pg.Client.prototype.query = counting;
    try {
      await db.commands.enqueue(queuedCommand('one'));
      expect(sent).toEqual([]);
      await Promise.all(['a', 'b', 'c', 'd'].map((id) => db.commands.enqueue(queuedCommand(id))));
      expect(sent.length).toBeGreaterThanOrEqual(1);
    } finally {
      pg.Client.prototype.query = query;
    }
  });

  it("tells another node's status waits (onSettled, with no id) when events are committed here", async () => {
    const schema = server.schema();
    const here = await server.database({ schema });
    const there = await server.database({ schema });
    const heard: (string | undefined)[] = [];
    const stop = there.commands.onSettled((id) => heard.push(id));
    // Until the other node listens, a commit may slip by unnoticed: append until one is heard.
    await expect
      .poll(async () => {
        await here.events.append(streamId('order', crypto.randomUUID()), [{ type: 'test.Done', data: {} }]);
        return heard.length;
      })
      .toBeGreaterThan(0);
    stop();
    expect(new Set(heard)).toEqual(new Set([undefined]));
  });
});

describe('PostgresCommandQueue status waits across nodes', () => {
  it('wake on a node when another node records an outcome that commits no events: dead, or succeeded', async () => {
    const schema = server.schema();
    // Polls an hour apart: only a notification can end the waits below.
    const here = await server.database({ schema, pollIntervalMs: 3_600_000 });
    const there = await server.database({ schema, pollIntervalMs: 3_600_000 });
    const T0 = queuedCommand('t').enqueuedAt;
    // Until the other node listens, an outcome may slip by unnoticed: cancel commands until one is heard. This
    // subscription keeps it listening for the waits below.
    const heard: (string | undefined)[] = [];
    const stop = there.commands.onSettled((id) => heard.push(id));
    await expect
      .poll(
        async () => {
          const { id } = await here.commands.enqueue(queuedCommand(crypto.randomUUID()));
          await here.commands.cancel(id, T0);
          return heard.length;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    for (const id of ['failing', 'quiet']) await here.commands.enqueue(queuedCommand(id));
    const [failing, quiet] = await here.commands.claim({ limit: 2, leaseMs: 60_000, now: T0 });
    const dead = settled(there, 'failing');
    const succeeded = settled(there, 'quiet');
    expect(await here.commands.fail(failing!.id, failing!.lease, { code: 'BOOM', message: 'no' }, undefined, T0)).toBe(
      true,
    );
    expect(await dead).toMatchObject({ id: 'failing', status: 'dead', problem: { code: 'BOOM' } });
    expect(await here.commands.complete(quiet!.id, quiet!.lease, { result: 1, position: undefined }, T0)).toBe(true);
    expect(await succeeded).toMatchObject({ id: 'quiet', status: 'succeeded', result: 1 });
    stop();
  });
});

describe('PostgresCommandQueue outcomes committed together', () => {
  it('commits each outcome once when the group transaction dies midway', async () => {
    const schema = server.schema();
    const db = await server.database({ schema });
    const T0 = queuedCommand('t').enqueuedAt;
    for (const id of ['a', 'b', 'c']) await db.commands.enqueue(queuedCommand(id));
    const claimed = await db.commands.claim({ limit: 3, leaseMs: 60_000, now: T0 });
    expect(claimed.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    const locker = new pg.Client({ connectionString: server.url });
    await locker.connect();
    // The locker's transaction would see one snapshot of pg_stat_activity for its whole length: the watcher reads it
    // outside any transaction, a fresh one each time.
    const watcher = new pg.Client({ connectionString: server.url });
    await watcher.connect();
    try {
      // The group updates a and b, then waits for c, which another transaction holds.
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM "${schema}".twofold_commands WHERE id = 'c' FOR UPDATE`);
      const outcomes = Promise.all(
        claimed.map((c) => db.commands.complete(c.id, c.lease, { result: c.id, position: undefined }, T0 + 1)),
      );
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // The backends the locker holds up: the group's, and none of the other tests sharing this server.
      const waiting = async () =>
        (
          await watcher.query<{ pid: number }>(
            'SELECT pid FROM pg_stat_activity WHERE $1::integer = ANY (pg_blocking_pids(pid))',
            [lockerPid],
          )
        ).rows;
      // Under load the group may take more than the default second to reach the lock.
      await expect.poll(async () => (await waiting()).length, { timeout: 15_000 }).toBe(1);
      const [group] = await waiting();
      // Its connection dies midway, as when its process does: its updates of a and b roll back with it, and the
      // outcomes are committed again one by one (c once the lock is gone), each exactly once.
      await locker.query('SELECT pg_terminate_backend($1)', [group!.pid]);
      await locker.query('ROLLBACK');
      expect(await outcomes).toEqual([true, true, true]);
      const stored = await Promise.all(['a', 'b', 'c'].map((id) => db.commands.get(id)));
      expect(stored.map((c) => [c?.status, c?.attempts, c?.result])).toEqual([
        ['succeeded', 1, 'a'],
        ['succeeded', 1, 'b'],
        ['succeeded', 1, 'c'],
      ]);
      const again = await Promise.all(
        claimed.map((c) => db.commands.complete(c.id, c.lease, { result: 'x', position: undefined }, T0 + 2)),
      );
      expect(again).toEqual([false, false, false]);
    } finally {
      await Promise.all([locker.end(), watcher.end()]);
    }
  });
});

describe('PostgresCommandQueue completing and claiming in one statement', () => {
  const success = { result: 'done', position: undefined };

  it('claims through a function that keeps its plans per connection, made by the second migration for a queue that had commands', async () => {
    const schema = server.schema();
    const pool = new SchemaPool({ connection: server.url, schema }, 'test');
    const T0 = queuedCommand('t').enqueuedAt;
    try {
      await migrate(pool, 'command-queue', commandQueueMigrations.slice(0, 1));
      const before = postgresQueue(pool);
      const old = queuedCommand('old', { key: 'k' });
      const stored = { ...old, key: 'k', data: JSON.stringify(old.data), envelope: JSON.stringify(old.envelope) };
      await before.run(function* (sql) {
        return yield before.insert(sql, stored);
      });
      const claimBefore = before.run(function* (sql) {
        return yield before.claim(sql, { limit: 1, now: T0, until: T0 + 1 });
      });
      await expect(claimBefore).rejects.toThrow(/twofold_complete_and_claim/);
      const db = await server.database({ schema });
      const { rows } = await pool.query<{ config: string[] }>(
        `SELECT proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proname = 'twofold_complete_and_claim' AND n.nspname = $1`,
        [schema],
      );
      expect(rows).toEqual([
        {
          config: [
            'plan_cache_mode=force_generic_plan',
            'enable_sort=off',
            'enable_seqscan=off',
            expect.stringMatching(`^search_path=.*${schema}`),
          ],
        },
      ]);
      const claimed = await db.commands.claim({ limit: 5, leaseMs: 60_000, now: T0 });
      expect(claimed).toMatchObject([{ id: 'old', key: 'k', status: 'running', attempts: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('claims in the schema the function was made in, whatever the search path of the connection calling it', async () => {
    const schema = server.schema();
    const db = await server.database({ schema });
    const T0 = queuedCommand('t').enqueuedAt;
    await db.commands.enqueue(queuedCommand('here'));
    const elsewhere = new pg.Client({ connectionString: server.url });
    await elsewhere.connect();
    try {
      const { rows } = await elsewhere.query(
        `SELECT id FROM ${schema}.twofold_complete_and_claim('{}', '{}', '{}', '{}', $1, 5, $2, NULL)`,
        [T0, T0 + 60_000],
      );
      expect(rows).toEqual([{ id: null }, { id: 'here' }]);
    } finally {
      await elsewhere.end();
    }
  });

  it('walks the due index in claim order on a connection whose plans were made while the queue was empty', async () => {
    const schema = server.schema();
    const db = await server.database({ schema });
    const T0 = queuedCommand('t').enqueuedAt;
    // Nothing replans the connection's function (no ANALYZE) between its first claim and the backlog's arrival, as
    // when a burst comes before autovacuum has looked at the table.
    await db.pool.query('ALTER TABLE twofold_commands SET (autovacuum_enabled = false)');
    const worker = new pg.Client({ connectionString: server.url, options: `-c search_path=${schema}` });
    await worker.connect();
    const plans: string[] = [];
    worker.on('notice', (notice) => plans.push(notice.message ?? ''));
    const claim = (limit: number) =>
      worker.query<{ id: string | null }>(
        `SELECT id FROM twofold_complete_and_claim('{}', '{}', '{}', '{}', $1, $2, $3, NULL)`,
        [T0, limit, T0 + 60_000],
      );
    try {
      expect((await claim(8)).rows).toEqual([{ id: null }]);
      await db.pool.query(
        `INSERT INTO twofold_commands (id, type, data, envelope, priority, run_at, enqueued_at, status, attempts, updated_at)
         SELECT 'c' || g, 't', '{}', '{}', 0, $1::bigint - g, $1::bigint, 'queued', 0, $1::bigint
         FROM generate_series(1, 2000) AS g`,
        [T0],
      );
      for (const setting of [
        `LOAD 'auto_explain'`,
        'SET auto_explain.log_min_duration = 0',
        'SET auto_explain.log_nested_statements = on',
        'SET auto_explain.log_level = notice',
      ]) {
        await worker.query(setting);
      }
      const [first, ...claimed] = (await claim(8)).rows.map(({ id }) => id);
      expect(first).toBeNull();
      expect(claimed.sort()).toEqual(['c1993', 'c1994', 'c1995', 'c1996', 'c1997', 'c1998', 'c1999', 'c2000']);
      const picking = plans.find((plan) => plan.includes('SKIP LOCKED'));
      expect(picking).toMatch(/Index Scan using twofold_commands_due/);
      expect(picking).not.toMatch(/\bSort\b/);
      const marking = plans.find((plan) => plan.includes('ANY (v_claimed)'));
      expect(marking).toMatch(/twofold_commands_pkey/);
    } finally {
      await worker.end();
    }
  });

  it('names the completed ids in a first row that carries no command, once, whatever it claims', async () => {
    const db = await server.database();
    const T0 = queuedCommand('t').enqueuedAt;
    for (const id of ['a', 'b', 'c', 'd']) await db.commands.enqueue(queuedCommand(id));
    const held = await db.commands.claim({ limit: 2, leaseMs: 60_000, now: T0 });
    const { rows } = await db.pool.query<{ completed: string[] | null; told: boolean | null; id: string | null }>(
      `SELECT completed, told, id FROM twofold_complete_and_claim($1, $2, $3, $4, $5, 5, $6, 'elsewhere')`,
      [held.map((c) => c.id), held.map((c) => c.lease), ['"r"', '"r"'], [null, null], T0, T0 + 60_000],
    );
    expect(rows).toEqual([
      { completed: expect.arrayContaining(['a', 'b']), told: true, id: null },
      { completed: null, told: null, id: 'c' },
      { completed: null, told: null, id: 'd' },
    ]);
    expect(rows[0]?.completed).toHaveLength(2);
    // A lease that does not hold, or a command completed already, completes nothing.
    const [c] = await db.commands.completeAndClaim!(
      [
        { id: 'c', lease: 'not-its-lease', success },
        { id: 'a', lease: held[0]!.lease, success },
      ],
      { limit: 1, leaseMs: 60_000, now: T0 },
    ).then(({ completed }) => [completed]);
    expect(c).toEqual([false, false]);
  });

  it("completes a held command and claims the next, its key's next one included, never the one it completes", async () => {
    const db = await server.database();
    const T0 = queuedCommand('t').enqueuedAt;
    await db.commands.enqueue(queuedCommand('a', { key: 'k' }));
    await db.commands.enqueue(queuedCommand('b', { key: 'k' }));
    await db.commands.enqueue(queuedCommand('c'));
    const [a] = await db.commands.claim({ limit: 1, leaseMs: 60_000, now: T0 });
    expect(a?.id).toBe('a');
    const done = await db.commands.completeAndClaim!([{ id: a!.id, lease: a!.lease, success }], {
      limit: 5,
      leaseMs: 60_000,
      now: T0,
    });
    expect(done.completed).toEqual([true]);
    expect(done.claimed.map((c) => [c.id, c.status, c.attempts])).toEqual([
      ['b', 'running', 1],
      ['c', 'running', 1],
    ]);
    expect(await db.commands.get('a')).toMatchObject({ status: 'succeeded', result: 'done', attempts: 1 });
    // Its lease has ended by the time of the call: the command is completed, not claimed again.
    const [b] = done.claimed;
    const later = T0 + 120_000;
    const again = await db.commands.completeAndClaim!([{ id: b!.id, lease: b!.lease, success }], {
      limit: 5,
      leaseMs: 60_000,
      now: later,
    });
    expect(again).toMatchObject({ completed: [true], claimed: [{ id: 'c', attempts: 2 }] });
    expect(await db.commands.get('b')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it("completes several held commands in the one statement, each answered in order, their keys' next ones claimed", async () => {
    const db = await server.database();
    const T0 = queuedCommand('t').enqueuedAt;
    for (const [id, key] of [
      ['m1', 'm'],
      ['n1', 'n'],
      ['o1', undefined],
      ['m2', 'm'],
      ['n2', 'n'],
      ['p', undefined],
      ['r', undefined],
    ]) {
      await db.commands.enqueue(queuedCommand(id!, key === undefined ? {} : { key }));
    }
    const held = await db.commands.claim({ limit: 3, leaseMs: 60_000, now: T0 });
    expect(held.map((c) => c.id)).toEqual(['m1', 'n1', 'o1']);
    const [m1, n1, o1] = held;
    const done = await db.commands.completeAndClaim!(
      [
        { id: m1!.id, lease: m1!.lease, success: { result: 'm', position: undefined } },
        { id: n1!.id, lease: 'another', success },
        { id: o1!.id, lease: o1!.lease, success: { result: { o: 1 }, position: globalPosition(7) } },
      ],
      { limit: 2, leaseMs: 60_000, now: T0 },
    );
    expect(done.completed).toEqual([true, false, true]);
    // n1 is still held, so n2 waits; m1's completion lets m2 through in the same statement.
    expect(done.claimed.map((c) => c.id)).toEqual(['m2', 'p']);
    expect(await db.commands.get('m1')).toMatchObject({ status: 'succeeded', result: 'm' });
    expect(await db.commands.get('n1')).toMatchObject({ status: 'running' });
    expect(await db.commands.get('o1')).toMatchObject({ status: 'succeeded', result: { o: 1 }, position: 7 });
    // With no completion it is a claim.
    const none = await db.commands.completeAndClaim!([], { limit: 5, leaseMs: 60_000, now: T0 });
    expect(none).toMatchObject({ completed: [], claimed: [{ id: 'r' }] });
  });

  it('refuses completions that are not a list of held commands, and changes nothing', async () => {
    const db = await server.database();
    const T0 = queuedCommand('t').enqueuedAt;
    await db.commands.enqueue(queuedCommand('q'));
    const request = { limit: 1, leaseMs: 60_000, now: T0 };
    await expect(db.commands.completeAndClaim!({ id: 'q' } as never, request)).rejects.toThrow(
      'completeAndClaim(): completions must be an array',
    );
    await expect(db.commands.completeAndClaim!([{ id: 'q', success }] as never, request)).rejects.toThrow(
      'completeAndClaim(): completions[0] needs a string id and lease',
    );
    expect(await db.commands.get('q')).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it("changes nothing under a lease that no longer holds, and claims none of the command's key after it", async () => {
    const db = await server.database();
    const T0 = queuedCommand('t').enqueuedAt;
    await db.commands.enqueue(queuedCommand('d', { key: 'k' }));
    await db.commands.enqueue(queuedCommand('e', { key: 'k' }));
    const [d] = await db.commands.claim({ limit: 5, leaseMs: 60_000, now: T0 });
    expect(d?.id).toBe('d');
    const done = await db.commands.completeAndClaim!([{ id: 'd', lease: 'another', success }], {
      limit: 5,
      leaseMs: 60_000,
      now: T0,
    });
    expect(done).toEqual({ completed: [false], claimed: [] });
    expect(await db.commands.get('d')).toMatchObject({ status: 'running', attempts: 1 });
  });

  it("tells another node's status waits of a command it completes", async () => {
    const schema = server.schema();
    const here = await server.database({ schema, pollIntervalMs: 3_600_000 });
    const there = await server.database({ schema, pollIntervalMs: 3_600_000 });
    const T0 = queuedCommand('t').enqueuedAt;
    const heard: (string | undefined)[] = [];
    const stop = there.commands.onSettled((id) => heard.push(id));
    // Until the other node listens, an outcome may slip by unnoticed: cancel commands until one is heard.
    await expect
      .poll(
        async () => {
          const { id } = await here.commands.enqueue(queuedCommand(crypto.randomUUID()));
          await here.commands.cancel(id, T0);
          return heard.length;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    await here.commands.enqueue(queuedCommand('f'));
    const [f] = await here.commands.claim({ limit: 1, leaseMs: 60_000, now: T0 });
    const succeeded = settled(there, 'f');
    await here.commands.completeAndClaim!([{ id: f!.id, lease: f!.lease, success }], {
      limit: 1,
      leaseMs: 60_000,
      now: T0,
    });
    expect(await succeeded).toMatchObject({ id: 'f', status: 'succeeded', result: 'done' });
    stop();
  });

  it('tells a completion on the settled channel in its own commit, and not when that rolls back', async () => {
    const schema = server.schema();
    const db = await server.database({ schema });
    const T0 = queuedCommand('t').enqueuedAt;
    for (const id of ['g', 'h', 'i']) await db.commands.enqueue(queuedCommand(id));
    const [g, h, i] = await db.commands.claim({ limit: 3, leaseMs: 60_000, now: T0 });
    const pool = new SchemaPool({ connection: server.url, schema }, 'test');
    const channel = `settled_${schema}`;
    const dialect = postgresQueue(pool, channel);
    const { listener, heard, hearing } = await listening();
    try {
      await listener.query(`LISTEN "${channel}"`);
      const outcome = { result: null, position: null };
      const claim = { limit: 1, now: T0, until: T0 + 60_000 };
      const rolledBack = dialect.transaction(function* (sql) {
        const done: { completed: string[]; told: boolean } = yield dialect.completeAndClaim!(
          sql,
          [{ ...g!, ...outcome }],
          claim,
        );
        expect(done).toMatchObject({ completed: ['g'], told: true });
        throw new Error('rolled back');
      });
      await expect(rolledBack).rejects.toThrow('rolled back');
      // Notifications reach a listener in commit order: the marker's first, and none from the rolled-back statement.
      await pool.query(`SELECT pg_notify($1, 'marker')`, [channel]);
      const done = await dialect.run(function* (sql) {
        return yield dialect.completeAndClaim!(
          sql,
          [h!, i!].map((held) => ({ ...held, ...outcome })),
          claim,
        );
      });
      // Two completions, one notification.
      expect(done).toMatchObject({ completed: expect.arrayContaining(['h', 'i']), told: true });
      await hearing(2);
      expect(heard).toEqual(['marker', '']);
      expect(await db.commands.get('g')).toMatchObject({ status: 'running' });
    } finally {
      await listener.end();
      await pool.end();
    }
  });
});

describe('PostgresCommandQueue durability', () => {
  const T0 = queuedCommand('t').enqueuedAt;
  const lease = { limit: 1, leaseMs: 60_000, now: T0 };

  // A handle on a database of its own whose sessions commit synchronously (the test server's default is not to), on
  // one connection, and the status of each command row every commit wrote with the setting that commit ran under,
  // as a trigger deferred to the commit notes them.
  async function notingCommits() {
    const schema = server.schema();
    const database = `sync_${schema}`;
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.query(`ALTER DATABASE ${database} SET synchronous_commit = on`);
    } finally {
      await admin.end();
    }
    const db = await server.database({ connection: server.server.urlFor(database), schema, maxConnections: 1 });
    await db.pool.query(`
      CREATE TABLE commits (n serial, status text, synchronous_commit text);
      CREATE FUNCTION note_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO commits (status, synchronous_commit) VALUES (NEW.status, current_setting('synchronous_commit'));
          RETURN NULL;
        END $$;
      CREATE CONSTRAINT TRIGGER note_commit AFTER INSERT OR UPDATE ON twofold_commands
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION note_commit();`);
    const commits = async () => {
      const { rows } = await db.pool.query<{ status: string; synchronous_commit: string }>(
        'WITH noted AS (DELETE FROM commits RETURNING *) SELECT status, synchronous_commit FROM noted ORDER BY n',
      );
      return rows.map((row) => [row.status, row.synchronous_commit]);
    };
    return { db, commits };
  }

  it('commits a claim that records no outcome without waiting for the log flush, and leaves the connection as it was', async () => {
    const { db, commits } = await notingCommits();
    for (const id of ['a', 'b']) await db.commands.enqueue(queuedCommand(id));
    expect((await db.commands.claim(lease)).map((c) => c.id)).toEqual(['a']);
    // With no completion, it is a claim as well.
    expect(await db.commands.completeAndClaim!([], lease)).toMatchObject({ completed: [], claimed: [{ id: 'b' }] });
    expect(await commits()).toEqual([
      ['queued', 'on'],
      ['queued', 'on'],
      ['running', 'off'],
      ['running', 'off'],
    ]);
    const { rows } = await db.pool.query('SHOW synchronous_commit');
    expect(rows).toEqual([{ synchronous_commit: 'on' }]);
  });

  it('waits for the log flush of a claim that records a success, and of every outcome', async () => {
    const { db, commits } = await notingCommits();
    for (const id of ['a', 'b', 'c', 'd']) await db.commands.enqueue(queuedCommand(id));
    const [a, b, c] = await db.commands.claim({ ...lease, limit: 3 });
    await commits();
    const success = { result: 'done', position: undefined };
    const done = await db.commands.completeAndClaim!([{ id: a!.id, lease: a!.lease, success }], lease);
    expect(done).toMatchObject({ completed: [true], claimed: [{ id: 'd' }] });
    const [d] = done.claimed;
    expect(await db.commands.complete(b!.id, b!.lease, success, T0)).toBe(true);
    expect(await db.commands.fail(c!.id, c!.lease, { code: 'BOOM', message: 'no' }, T0 + 1_000, T0)).toBe(true);
    expect(await db.commands.release(d!.id, d!.lease, T0)).toBe(true);
    expect(await commits()).toEqual([
      ['succeeded', 'on'],
      ['running', 'on'],
      ['succeeded', 'on'],
      ['failed', 'on'],
      ['queued', 'on'],
    ]);
  });
});
