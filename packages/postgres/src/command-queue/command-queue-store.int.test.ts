import { streamId } from '@twofold/core';
import { commandQueueContract, queuedCommand, transactionalEnqueueContract } from '@twofold/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { postgres } from '../index.js';

const server = usePostgres();

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
    try {
      // The group updates a and b, then waits for c, which another transaction holds.
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM "${schema}".twofold_commands WHERE id = 'c' FOR UPDATE`);
      const outcomes = Promise.all(
        claimed.map((c) => db.commands.complete(c.id, c.lease, { result: c.id, position: undefined }, T0 + 1)),
      );
      const waiting = async () =>
        (
          await locker.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%twofold_commands%'`,
          )
        ).rows;
      await expect.poll(async () => (await waiting()).length).toBe(1);
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
      await locker.end();
    }
  });
});
