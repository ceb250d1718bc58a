import { queuedCommand } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { usePostgres } from './server.js';

// A server of its own, with durable commits: this file kills it. Its log writer wakes every 10 s (the longest it
// allows) and nothing else writes (no autovacuum), so that a commit that does not wait for the log to be written
// is still only in the server's memory when it dies.
const server = usePostgres({ durable: true, settings: { wal_writer_delay: '10s', autovacuum: 'off' } });

describe('PostgresCommandQueue through a server crash', () => {
  it('gives back the commands of a claim the crash undid, their attempt uncounted, and refuses its lease', async () => {
    const schema = server.schema();
    const T0 = queuedCommand('t').enqueuedAt;
    const request = { limit: 1, leaseMs: 60_000, now: T0 };
    const db = await server.database({ schema });
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    for (const id of ids) await db.commands.enqueue(queuedCommand(id));
    // Whether the server has written its log up to its end: a claim is the last thing it logged.
    const written = async () => {
      const { rows } = await db.pool.query<{ written: boolean }>(
        'SELECT pg_current_wal_lsn() = pg_current_wal_insert_lsn() AS written',
      );
      return rows[0]?.written;
    };
    // A claim whose log fills a page of it wakes the log writer at once: claim until one is still unwritten.
    let lost: Awaited<ReturnType<typeof db.commands.claim>>[number] | undefined;
    for (let tries = 0; tries < ids.length && lost === undefined; tries++) {
      const [claimed] = await db.commands.claim(request);
      if (!(await written())) lost = claimed;
    }
    expect(lost).toBeDefined();
    server.server.kill();
    await server.server.restart();

    const after = await server.database({ schema });
    expect(await after.commands.get(lost!.id)).toMatchObject({ status: 'queued', attempts: 0 });
    // The worker that ran it finds its lease gone: its outcome changes nothing, and the command runs again.
    expect(await after.commands.complete(lost!.id, lost!.lease, { result: 'done', position: undefined }, T0)).toBe(
      false,
    );
    expect(await after.commands.claim(request)).toMatchObject([{ id: lost!.id, status: 'running', attempts: 1 }]);
    const { rows } = await after.pool.query<{ n: string }>('SELECT count(*) AS n FROM twofold_commands');
    expect(rows).toEqual([{ n: String(ids.length) }]);
  }, 60_000);
});
