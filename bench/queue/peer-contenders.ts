// The peers as contenders: graphile-worker and pg-boss on the same PostgreSQL server as Twofold (a fresh schema
// per case), and BullMQ on Redis (a fresh queue name per case). Each is run through its own public API with its
// defaults, but for the pool size, the concurrency and the wake-ups named below.
import type { PostgresServer, RedisServer } from '@twofold/test-servers';
import pg from 'pg';
import { type Contender, POOL, type QueueCase, unique } from './contender.js';
import type { BullMq, Graphile, Payload, PgBoss, PgBossModule } from './peers.js';

async function count(server: PostgresServer, sql: string, values: unknown[] = []): Promise<number> {
  const check = new pg.Pool({ connectionString: server.url, max: 1 });
  try {
    const { rows } = await check.query<{ n: string }>(sql, values);
    return Number(rows[0]?.n);
  } finally {
    await check.end();
  }
}

/**
 * Waits, at most 10 s, until `sql` counts no job left. graphile-worker fetches its next job without waiting for the
 * delete of the one its handler finished, and its stop does not wait for those deletes either: a delete still on its
 * way when the stop ends its pool is lost, and the job stays locked. The bench stops it once every handled job is
 * deleted; a job the handler never ran stays, and the guard reports it. No signal tells of the deletes, so this
 * polls.
 */
async function deletesDone(server: PostgresServer, sql: string): Promise<void> {
  const check = new pg.Client({ connectionString: server.url });
  await check.connect();
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { rows } = await check.query<{ n: string }>(sql);
      if (Number(rows[0]?.n) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await check.end();
  }
}

/**
 * graphile-worker: `addJob` through WorkerUtils; `run({ concurrency })` with a task list. Its workers are woken by
 * the NOTIFY its job insert sends, and it deletes a job once done. `batched` turns on its batching, off by default:
 * a local queue of `concurrency + 64` jobs locked and fetched ahead per fetch (as many as Twofold's worker claims
 * at most, its free places and 64 ahead), and completions grouped (`completeJobBatchDelay` 0: those of one turn).
 */
export function graphileWorker(
  api: Graphile,
  version: string,
  server: PostgresServer,
  { batched = false }: { batched?: boolean } = {},
): Contender {
  return {
    name: batched ? 'graphile-worker batched' : 'graphile-worker',
    describe: batched
      ? `graphile-worker ${version} on PostgreSQL (localQueue.size concurrency + 64, completeJobBatchDelay 0)`
      : `graphile-worker ${version} on PostgreSQL (defaults: one job per fetch, LISTEN/NOTIFY wake-ups)`,
    async open(): Promise<QueueCase> {
      const schema = unique('bench_graphile');
      const connectionString = server.url;
      const utils = await api.makeWorkerUtils({ connectionString, schema, logger: api.silent });
      await utils.migrate();
      let runner: { stop(): Promise<void> } | undefined;
      return {
        async enqueue(n) {
          await utils.addJob('noop', { n });
        },
        async start(concurrency, _mode, handler) {
          runner = await api.run({
            connectionString,
            schema,
            concurrency,
            maxPoolSize: POOL,
            noHandleSignals: true,
            logger: api.silent,
            taskList: { noop: async (payload) => handler((payload as Payload).n) },
            ...(batched
              ? { preset: { worker: { localQueue: { size: concurrency + 64 }, completeJobBatchDelay: 0 } } }
              : {}),
          });
        },
        async stop() {
          await deletesDone(server, `SELECT count(*) AS n FROM ${schema}._private_jobs`);
          await runner?.stop();
        },
        remaining: () => count(server, `SELECT count(*) AS n FROM ${schema}._private_jobs`),
        close: () => utils.release(),
      };
    },
  };
}

/**
 * pg-boss: `send` into a queue created with `notify: true`, on an instance with `useListenNotify`. Waiting for
 * jobs (`wait`), `work()` with `localConcurrency` workers of one job each, woken by NOTIFY, and polling at its
 * shortest, every 0.5 s: a worker woken by several notifications while busy fetches once, so jobs that came in
 * meanwhile wait for the poll (30 s by default with NOTIFY on). Draining a backlog, `concurrency` loops of `fetch()`
 * and `complete()`: `work()` sleeps out its polling interval after every fetch that did not fill a batch, so with
 * one job per fetch it would run one job per worker per poll.
 */
export function pgBoss(api: PgBossModule, version: string, server: PostgresServer): Contender {
  return {
    name: 'pg-boss',
    describe: `pg-boss ${version} on PostgreSQL (useListenNotify, queue notify: true)`,
    async open(): Promise<QueueCase> {
      const schema = unique('bench_pgboss');
      const queue = 'noop';
      const boss: PgBoss = new api({ connectionString: server.url, schema, max: POOL, useListenNotify: true });
      const errors: unknown[] = [];
      boss.on('error', (error) => errors.push(error));
      boss.on('warning', (warning) => console.error('pg-boss warning:', warning));
      await boss.start();
      await boss.createQueue(queue, { notify: true });
      let stopping = false;
      let loops: Promise<void>[] = [];
      let working = false;
      const drain = async (handler: (n: number) => void) => {
        while (!stopping) {
          const jobs = (await boss.fetch(queue)) ?? [];
          if (jobs.length === 0) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            continue;
          }
          for (const job of jobs) {
            handler(job.data.n);
            await boss.complete(queue, job.id);
          }
        }
      };
      return {
        async enqueue(n) {
          await boss.send(queue, { n });
        },
        async start(concurrency, mode, handler) {
          if (mode === 'drain') {
            loops = Array.from({ length: concurrency }, () => drain(handler));
            return;
          }
          working = true;
          const polling = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 };
          await boss.work(queue, { localConcurrency: concurrency, batchSize: 1, ...polling }, async (jobs) => {
            for (const job of jobs) handler(job.data.n);
          });
        },
        async stop() {
          stopping = true;
          await Promise.all(loops);
          if (working) await boss.offWork(queue, { wait: true });
          if (errors.length > 0) throw new Error(`pg-boss reported errors: ${String(errors[0])}`);
        },
        remaining: () =>
          count(server, `SELECT count(*) AS n FROM ${schema}.job WHERE name = $1 AND state <> 'completed'`, [queue]),
        close: () => boss.stop({ graceful: true, close: true, timeout: 10_000 }),
      };
    },
  };
}

/** BullMQ: `queue.add`, and a `Worker` with `concurrency`, woken by Redis's blocking pops. */
export function bullMq(api: BullMq, version: string, server: RedisServer): Contender {
  const connection = { host: '127.0.0.1', port: server.port };
  return {
    name: 'BullMQ',
    describe: `BullMQ ${version} on Redis (in memory: no RDB, no AOF)`,
    async open(): Promise<QueueCase> {
      const name = unique('bench_bullmq');
      const queue = new api.Queue(name, { connection });
      let worker: { close(): Promise<void> } | undefined;
      return {
        async enqueue(n) {
          await queue.add('noop', { n });
        },
        async start(concurrency, _mode, handler) {
          const started = new api.Worker(name, async (job) => handler(job.data.n), { connection, concurrency });
          worker = started;
          await started.waitUntilReady();
        },
        async stop() {
          await worker?.close();
        },
        async remaining() {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'paused');
          return Object.values(counts).reduce((sum, n) => sum + n, 0);
        },
        close: () => queue.close(),
      };
    },
  };
}
