import { createHash } from 'node:crypto';
import { EVENTS_PER_COMMIT } from './schema.js';

/**
 * The advisory lock key of a store's appenders: every transaction that appends events to the store takes it, shared,
 * before it has a transaction id (see {@link visibleBelow}).
 *
 * @example
 * const key = writerKey('hotel');
 * await client.query(`BEGIN; SELECT ${lockWriters(key)}`); // before anything that gives the transaction an xid
 */
export interface WriterKey {
  /** Both halves of the advisory lock key, as `pg_advisory_xact_lock_shared(int4, int4)` takes them. */
  readonly space: number;
  readonly id: number;
}

// 'twof': the first half of every appender's lock key. The migration lock is a bigint key, so never equal.
const SPACE = 0x7477_6f66;

/** The advisory lock key of the appenders to the store in `schema` (the database tells stores apart too). */
export function writerKey(schema: string): WriterKey {
  const id = Number.parseInt(createHash('sha256').update(`writers:${schema}`).digest('hex').slice(0, 7), 16);
  return { space: SPACE, id };
}

/** The expression that takes the appender's lock; evaluate it before the transaction has an xid. */
export function lockWriters(key: WriterKey): string {
  return `pg_advisory_xact_lock_shared(${key.space}, ${key.id})`;
}

// The transaction ids that are running and belong to no appender of the store, from one read of the lock table.
// A transaction holds an ExclusiveLock on its own xid from the moment it gets one until it ends; others only ever
// wait for it with a ShareLock. Locks are matched by server process, not by virtual transaction: a backend clears
// its virtual transaction id as it ends, while its locks are still held, so one read of the lock table can show
// its two locks under two different ids. A backend runs one transaction at a time, so its pid names it as well.
function othersRunning(key: WriterKey): string {
  return `WITH locks AS MATERIALIZED (
      SELECT locktype, transactionid, pid, mode, granted, database, classid, objid, objsubid
        FROM pg_locks WHERE locktype IN ('transactionid', 'advisory')
    )
    SELECT t.transactionid FROM locks t
     WHERE t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
       AND NOT EXISTS (
         SELECT 1 FROM locks a
          WHERE a.locktype = 'advisory' AND a.pid = t.pid
            AND a.classid = ${key.space} AND a.objid = ${key.id} AND a.objsubid = 2
            AND a.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`;
}

/**
 * The position below which a statement sees every event it will ever see: a scalar subquery, evaluated once per
 * statement, with the statement's own snapshot S. Only the store's own appenders hold it back; a long transaction
 * of anyone else (another database, an idle client, a projection) does not.
 *
 * Every transaction that appends takes the store's lock (its database and schema) before it has an xid, and keeps
 * it until after it has ended: PostgreSQL marks a transaction ended for new snapshots first, then releases its
 * locks, its own xid lock before its advisory locks. The statement takes S, then reads the lock table once (a
 * materialized CTE), and takes positions below the bound
 *
 *   B = min(xmax(S), every xid in xip(S) except those running, at the lock read, in a process without the lock)
 *
 * No appender W whose events S cannot see lands below B:
 * - W got its xid after S was taken: xids are handed out in order and xmax(S) is at most the next one, so W's xid
 *   is at least xmax(S) ≥ B.
 * - W had its xid, but is not in xip(S): then it was running with an xid ≥ xmax(S) ≥ B.
 * - W is in xip(S): at the lock read, either W still holds its xid lock, and then also the store's lock, in the
 *   same process; or it has released its xid lock. Either way it is not excepted, so B ≤ W's xid.
 * A transaction below B that S sees as ended is visible to S in full, or rolled back. One that ended between S and
 * the lock read counts as the store's for that one read: it holds the bound back for that read only. The lock table
 * is read only while S shows a transaction running.
 *
 * @example
 * await client.query(`SELECT max(position) FROM twofold_events WHERE position < ${visibleBelow(base, key)}`);
 */
export function visibleBelow(base: number, key: WriterKey): string {
  return `(SELECT (CASE WHEN pg_snapshot_xmin(snap.s) = pg_snapshot_xmax(snap.s)
               THEN pg_snapshot_xmax(snap.s)::text::bigint
               ELSE (SELECT least(pg_snapshot_xmax(snap.s)::text::bigint, min(x::text::bigint))
                       FROM pg_snapshot_xip(snap.s) AS x
                      WHERE x::xid NOT IN (${othersRunning(key)}))
          END - ${base}) * ${EVENTS_PER_COMMIT}
     FROM (SELECT pg_current_snapshot() AS s) AS snap)`;
}

/**
 * The oldest appender of the store that is still running and has committed events above it waiting: its server
 * process, its transaction id, and when its transaction began (ms since the epoch). One row or none.
 */
export function heldBy(base: number, key: WriterKey): string {
  return `SELECT a.pid, x::text AS xid, (extract(epoch FROM s.xact_start) * 1000)::bigint AS since
      FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      JOIN pg_locks t ON t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
                     AND t.transactionid = x::xid
      JOIN pg_locks a ON a.locktype = 'advisory' AND a.pid = t.pid
                     AND a.classid = ${key.space} AND a.objid = ${key.id} AND a.objsubid = 2
                     AND a.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      LEFT JOIN pg_stat_activity s ON s.pid = a.pid
     WHERE EXISTS (SELECT 1 FROM twofold_events WHERE position >= (x::text::bigint - ${base}) * ${EVENTS_PER_COMMIT})
     ORDER BY x::text::bigint LIMIT 1`;
}
