import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@twofold/core';
import pg from 'pg';
import { type SchemaPool, unavailable } from '../connection/schema-pool.js';

/** What runs while this node holds a lease: started on gaining it, stopped on losing it or on close. */
export interface LeaderWork {
  /** Called when this node gains the lease. */
  start(): void | Promise<void>;
  /** Called when this node loses the lease, and on close while it holds it. */
  stop(): void | Promise<void>;
}

/** Options of a database handle's `runExclusively`. */
export interface LeaseOptions {
  /** What the lease guards, e.g. `projection:bookings`. Nodes that use the same name take turns. */
  readonly name: string;
  /** How often a follower tries to take over, and the leader checks its connection. Default: 1000 ms. */
  readonly intervalMs?: number;
  /** Told when this node gains or loses the lease. */
  readonly onChange?: (leader: boolean) => void;
  /**
   * Told when starting or stopping the work failed (the work's own error), or the connection did (UNAVAILABLE, the
   * driver's error as `cause`); the lease keeps trying.
   */
  readonly onError?: (error: unknown) => void;
}

/** A running lease; see a database handle's `runExclusively`. */
export interface Lease {
  /** True while this node holds the lease and its work runs. */
  readonly leader: boolean;
  /** Stops the work if it runs here, releases the lease, and disconnects. */
  close(): Promise<void>;
}

/**
 * Runs `work` on exactly one node at a time among all that call this with the same name on the same schema: a
 * session-level advisory lock on a connection of its own decides which. When the leader's process dies,
 * PostgreSQL drops its connection and with it the lock, and another node takes over within `intervalMs`. A leader
 * that loses its connection stops its work at once. Projection checkpoints stay the last line of defence: were two
 * nodes ever to apply the same batch, the second commit fails with CONCURRENCY_CONFLICT.
 *
 * @example
 * const runner = new ProjectionRunner({ projection: bookings, store: db.documents, feed: db.events });
 * const lease = db.runExclusively({ name: 'projection:bookings' }, {
 *   start: () => runner.start(),
 *   stop: () => runner.stop(),
 * });
 * // on shutdown (closing the handle closes it too):
 * await lease.close();
 */
export function runExclusively(
  db: Pick<SchemaPool, 'schema' | 'config'>,
  options: LeaseOptions,
  work: LeaderWork,
): Lease {
  if (typeof options?.name !== 'string' || options.name.length === 0) {
    throw new InvalidArgumentError('runExclusively(): options.name must be a non-empty string');
  }
  const intervalMs = options.intervalMs ?? 1_000;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 10) {
    throw new InvalidArgumentError('runExclusively(): options.intervalMs must be an integer >= 10');
  }
  if (typeof work?.start !== 'function' || typeof work.stop !== 'function') {
    throw new InvalidArgumentError('runExclusively(): work must have start() and stop()');
  }
  // The lock lives on one session: its client is held apart from the pool.
  const { schema, config } = db;
  const key = lockKey(schema, options.name);
  // A user's callback that throws must neither stop the lease nor crash the process.
  const onError = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {}
  };
  const onChange = (leader: boolean) => {
    try {
      options.onChange?.(leader);
    } catch (error) {
      onError(error);
    }
  };

  let client: pg.Client | undefined;
  let leader = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const drop = () => {
    const lost = client;
    client = undefined;
    lost?.end().catch(() => {});
  };
  const stepDown = async () => {
    if (!leader) return;
    leader = false;
    onChange(false);
    try {
      await work.stop();
    } catch (error) {
      onError(error);
    }
  };
  const lose = async () => {
    drop();
    await stepDown();
  };
  const tick = async () => {
    try {
      if (client === undefined) {
        const fresh = new pg.Client(config);
        fresh.on('error', (error) => {
          onError(unavailable(error, `The lease connection of '${options.name}'`));
          if (client === fresh) running = running.then(lose);
        });
        client = fresh;
        await fresh.connect();
      }
      if (leader) {
        await client.query('SELECT 1');
        return;
      }
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
        key,
      ]);
      if (!rows[0]?.locked || closed) return;
    } catch (error) {
      onError(unavailable(error, `The lease connection of '${options.name}'`));
      await lose();
      return;
    }
    leader = true;
    onChange(true);
    try {
      await work.start();
    } catch (error) {
      onError(error);
      await lose();
    }
  };
  const schedule = () => {
    if (closed) return;
    running = running.then(tick);
    void running.then(() => {
      if (!closed) timer = setTimeout(schedule, intervalMs);
    });
  };
  schedule();

  return {
    get leader() {
      return leader;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await running;
      if (leader) {
        await stepDown();
        await client?.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {});
      }
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}

// A 64-bit lock key from the schema and the name: nodes of different applications on one database never collide.
function lockKey(schema: string, name: string): string {
  return createHash('sha256').update(`twofold:${schema}:${name}`).digest().readBigInt64BE(0).toString();
}
