// Twofold's command queue: `app.enqueue` stores a command, a CommandWorker claims it and runs it through the
// mediator to a no-op handler, then records it as succeeded. On PostgreSQL the enqueuing app and the working app
// have a database handle each, as two nodes would (the worker is woken by the queue's NOTIFY); on SQLite they share
// the file's one handle, as an embedded app does (the enqueue wakes the worker in-process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandWorker, defineCommand, twofold } from '@twofold/core';
import { postgres } from '@twofold/postgres';
import { sqlite } from '@twofold/sqlite';
import type { PostgresServer } from '@twofold/test-servers';
import pg from 'pg';
import { z } from 'zod';
import { type Contender, POOL, type QueueCase, silentLogger, unique } from './contender.js';

export const Noop = defineCommand('bench.Noop', z.object({ n: z.number().int() }));

/** Twofold's queue on the throwaway PostgreSQL server, a fresh schema per case. */
export function twofoldPostgres(server: PostgresServer): Contender {
  return {
    name: 'Twofold',
    describe: 'Twofold on PostgreSQL (enqueue and worker on two database handles)',
    async open(): Promise<QueueCase> {
      const schema = unique('bench_twofold_queue');
      const options = { connection: server.url, schema, maxConnections: POOL };
      const enqueuer = await twofold({ store: await postgres(options), logger: silentLogger })
        .command(Noop, () => {})
        .start();
      let working: { close(): Promise<void> } | undefined;
      return {
        async enqueue(n) {
          await enqueuer.enqueue(Noop, { n });
        },
        async start(concurrency, _mode, handler) {
          const app = twofold({ store: await postgres(options), logger: silentLogger })
            .command(Noop, ({ n }) => handler(n))
            .worker({ concurrency });
          working = app;
          await app.start();
        },
        async stop() {
          await working?.close();
        },
        async remaining() {
          const check = new pg.Pool({ connectionString: server.url, max: 1 });
          try {
            const { rows } = await check.query<{ n: string }>(
              `SELECT count(*) AS n FROM ${schema}.twofold_commands WHERE status <> 'succeeded'`,
            );
            return Number(rows[0]?.n);
          } finally {
            await check.end();
          }
        },
        close: () => enqueuer.close(),
      };
    },
  };
}

/**
 * Twofold's queue in an SQLite file in a temp directory, a fresh file per case. `FULL` syncs the log on every
 * commit, so a command recorded as succeeded survives power loss; `NORMAL` (Twofold's default) survives a crash of
 * the process and may lose the last commits on power loss.
 */
export function twofoldSqlite(synchronous: 'FULL' | 'NORMAL'): Contender {
  return {
    name: `Twofold SQLite ${synchronous}`,
    describe: `Twofold on SQLite (WAL, synchronous ${synchronous}, one handle for enqueue and worker)`,
    async open(): Promise<QueueCase> {
      const dir = mkdtempSync(join(tmpdir(), 'twofold-bench-queue-'));
      const db = sqlite({ path: join(dir, 'queue.db'), synchronous });
      let onJob: (n: number) => void = () => {};
      const app = await twofold({ store: db, logger: silentLogger })
        .command(Noop, ({ n }) => onJob(n))
        .start();
      let worker: CommandWorker | undefined;
      return {
        async enqueue(n) {
          await app.enqueue(Noop, { n });
        },
        async start(concurrency, _mode, handler) {
          onJob = handler;
          worker = new CommandWorker({ store: db.commands, mediator: app.mediator, concurrency }).start();
        },
        async stop() {
          await worker?.stop();
        },
        async remaining() {
          const count = db.connection
            .prepare<[], number>(`SELECT count(*) FROM twofold_commands WHERE status <> 'succeeded'`)
            .pluck();
          return count.get()!;
        },
        async close() {
          await app.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
