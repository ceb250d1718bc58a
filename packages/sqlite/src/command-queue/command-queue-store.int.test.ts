import { commandQueueContract, queuedCommand, transactionalEnqueueContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../tests/temp-dir.js';
import { sqlite } from '../index.js';
import { CLAIMABLE } from './statements.js';

const temp = tempDir();

commandQueueContract('sqlite(…).commands', () => {
  const db = sqlite(temp.file('commands'));
  return { queue: db.commands, close: () => db.close() };
});

transactionalEnqueueContract('sqlite(…).commands', () => {
  const db = sqlite(temp.file('commands-in'));
  return { events: db.events, commands: db.commands, close: () => db.close() };
});

describe('SqliteCommandQueue claims', () => {
  it('find the due commands through the index of live commands, not by reading every command ever stored', async () => {
    const db = sqlite(temp.file('claim-plan'));
    try {
      await db.commands.enqueue(queuedCommand('c1'));
      const plan = db.connection
        .prepare<[Record<string, unknown>], { detail: string }>(`EXPLAIN QUERY PLAN ${CLAIMABLE}`)
        .all({ now: Date.now(), limit: 8 })
        .map((step) => step.detail);
      expect(plan).toContain('SEARCH c USING INDEX twofold_commands_due (status=?)');
      expect(plan.filter((step) => step.startsWith('SCAN'))).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe('SqliteCommandQueue.enqueueIn', () => {
  const command = queuedCommand('c1');

  it("refuses another handle's connection, and a connection with no open transaction", async () => {
    const db = sqlite(temp.file('refusals'));
    const other = sqlite(temp.file('refusals-other'));
    try {
      expect(() => other.connection.transaction(() => db.commands.enqueueIn(other.connection, command))()).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('not on') }),
      );
      expect(() => db.commands.enqueueIn(db.connection, command)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('no transaction') }),
      );
      expect(await db.commands.get('c1')).toBeUndefined();
      expect(await other.commands.get('c1')).toBeUndefined();
    } finally {
      await db.close();
      await other.close();
    }
  });

  it("commits with the application's own table in a transaction on the handle's connection", async () => {
    const db = sqlite(temp.file('own-table'));
    try {
      db.connection.exec('CREATE TABLE shipments (id TEXT PRIMARY KEY)');
      const ship = (fail: boolean) =>
        db.connection.transaction(() => {
          db.connection.prepare('INSERT INTO shipments (id) VALUES (?)').run('s1');
          db.commands.enqueueIn(db.connection, command);
          if (fail) throw new Error('rolled back');
        })();
      expect(() => ship(true)).toThrow('rolled back');
      expect([await db.commands.get('c1'), db.connection.prepare('SELECT id FROM shipments').all()]).toEqual([
        undefined,
        [],
      ]);
      ship(false);
      expect((await db.commands.get('c1'))?.status).toBe('queued');
      expect(db.connection.prepare('SELECT id FROM shipments').all()).toEqual([{ id: 's1' }]);
    } finally {
      await db.close();
    }
  });
});

describe('SqliteCommandQueue outcomes committed together', () => {
  const LEASE = 1_000;
  const T0 = queuedCommand('t').enqueuedAt;

  it('records none of a group whose commit never happens; each command is claimed again and completed once', async () => {
    const path = temp.file('grouped');
    const worker = sqlite({ path, busyTimeoutMs: 20 });
    const other = sqlite(path);
    try {
      for (const id of ['a', 'b', 'c']) await worker.commands.enqueue(queuedCommand(id));
      const claimed = await worker.commands.claim({ limit: 3, leaseMs: LEASE, now: T0 });
      expect(claimed.map((c) => c.id)).toEqual(['a', 'b', 'c']);
      // Another connection holds the write lock, so the worker's group cannot commit: as if it died before its
      // commit, nothing of the group may be recorded.
      other.connection.exec('BEGIN IMMEDIATE');
      const done = (at: number) => ({ result: at, position: undefined });
      const outcomes = await Promise.allSettled(
        claimed.map((c) => worker.commands.complete(c.id, c.lease, done(1), T0 + 1)),
      );
      other.connection.exec('ROLLBACK');
      // SQLITE_BUSY: better-sqlite3 names it in `code`, node:sqlite in `errcode` (5); both say so in the message.
      expect(outcomes.map((o) => [o.status, String((o as PromiseRejectedResult).reason?.message)])).toEqual(
        claimed.map(() => ['rejected', expect.stringContaining('database is locked')]),
      );
      const statuses = async () =>
        Promise.all(
          ['a', 'b', 'c'].map(async (id) => {
            const found = await other.commands.get(id);
            return [found?.status, found?.attempts, found?.result];
          }),
        );
      expect(await statuses()).toEqual(claimed.map(() => ['running', 1, undefined]));

      // Once the leases end, another worker takes the commands again; the first worker's leases change nothing.
      const again = await other.commands.claim({ limit: 3, leaseMs: LEASE, now: T0 + LEASE });
      expect(again.map((c) => [c.id, c.attempts])).toEqual([
        ['a', 2],
        ['b', 2],
        ['c', 2],
      ]);
      const late = await Promise.all(claimed.map((c) => worker.commands.complete(c.id, c.lease, done(1), T0 + LEASE)));
      const fresh = await Promise.all(again.map((c) => other.commands.complete(c.id, c.lease, done(2), T0 + LEASE)));
      expect([late, fresh]).toEqual([
        [false, false, false],
        [true, true, true],
      ]);
      expect(await statuses()).toEqual(claimed.map(() => ['succeeded', 2, 2]));
    } finally {
      await worker.close();
      await other.close();
    }
  });
});
