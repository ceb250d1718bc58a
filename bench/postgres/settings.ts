// The settings of the throwaway PostgreSQL server that decide what a durable commit costs, printed at the top of
// every bench run on it.
import pg from 'pg';

/** One line: the server's version and its durability settings (fsync, synchronous_commit, …). */
export async function describePostgres(url: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<Record<string, string>>(
      `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
              current_setting('synchronous_commit') AS synchronous_commit,
              current_setting('wal_sync_method') AS wal_sync_method,
              current_setting('full_page_writes') AS full_page_writes,
              current_setting('shared_buffers') AS shared_buffers,
              current_setting('commit_delay') AS commit_delay,
              current_setting('commit_siblings') AS commit_siblings`,
    );
    const s = rows[0]!;
    const delayed =
      s.commit_delay === '0' ? '' : `, commit_delay ${s.commit_delay} µs (commit_siblings ${s.commit_siblings})`;
    return `PostgreSQL ${s.version}: fsync ${s.fsync}, synchronous_commit ${s.synchronous_commit}, wal_sync_method ${s.wal_sync_method}, full_page_writes ${s.full_page_writes}, shared_buffers ${s.shared_buffers}${delayed}`;
  } finally {
    await pool.end();
  }
}

/**
 * Makes every flush of the server's log wait `micros` µs first (`commit_delay`, with `commit_siblings` 0 so that
 * it applies to every commit that flushes), as a disk whose syncs are that much slower would: a commit that syncs
 * costs that much more, while a commit that writes nothing to the log (a transaction that only notifies) does not.
 */
export async function slowFlushes(url: string, micros: number): Promise<void> {
  await onServer(url, async (pool) => {
    await pool.query(`ALTER SYSTEM SET commit_delay = ${micros}`);
    await pool.query('ALTER SYSTEM SET commit_siblings = 0');
    await pool.query('SELECT pg_reload_conf()');
  });
}

/**
 * Gives the server `segments` log segments made ahead of need, as a server that has run a while has: a fresh
 * cluster makes each new 16 MB segment when the log reaches it, filling it with zeros and syncing it while every
 * commit waits (one such stall held every commit of a latency case for over 100 ms), where a server past its first
 * checkpoints renames a used segment instead. `min_wal_size` keeps that many for reuse; the log is switched
 * `segments` times, each switch making a segment now, and a CHECKPOINT then recycles them for the log ahead.
 * Resolves with the number of segments waiting ahead of the log.
 */
export async function preallocateWal(url: string, segments: number): Promise<number> {
  return onServer(url, async (pool) => {
    await pool.query(`ALTER SYSTEM SET min_wal_size = '${16 * (segments + 2)}MB'`);
    await pool.query('SELECT pg_reload_conf()');
    for (let i = 0; i < segments; i++) {
      // A switch does nothing in a segment nothing was written to since the last one.
      await pool.query(`SELECT pg_logical_emit_message(false, 'twofold-bench', '')`);
      await pool.query('SELECT pg_switch_wal()');
    }
    await pool.query('CHECKPOINT');
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_ls_waldir() WHERE name > pg_walfile_name(pg_current_wal_lsn()) AND name ~ '^[0-9A-F]{24}$'`,
    );
    return Number(rows[0]?.n);
  });
}

/**
 * Flushes the server's dirty pages now (CHECKPOINT) and gives back how many checkpoints it has made so far, timed
 * or requested: a phase that starts after it does not pay for the writes of the phases before, and the count
 * after the phase says whether one ran during it.
 */
export function checkpoint(url: string): Promise<number> {
  return onServer(url, async (pool) => {
    await pool.query('CHECKPOINT');
    return checkpoints(pool);
  });
}

/** How many checkpoints the server has made so far, timed or requested. */
export function checkpointCount(url: string): Promise<number> {
  return onServer(url, checkpoints);
}

async function checkpoints(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter',
  );
  return Number(rows[0]?.n);
}

async function onServer<T>(url: string, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}
