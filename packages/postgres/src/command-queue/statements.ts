import {
  type ClaimedCommandRow,
  type CommandQueueDialect,
  QUEUED_COMMAND_COLUMNS,
  type QueuedCommandRow,
  runAsync,
} from '@twofold/core/adapters';
import type pg from 'pg';
import { type PostgresClient, prepared, type SchemaPool } from '../connection/schema-pool.js';

/** Where a queue statement runs: a transaction's client, or the pool. */
export interface QueueSql {
  query(text: string, values: unknown[]): Promise<pg.QueryResult>;
}

/** The statements of `tx`, a client inside a transaction. */
export function inTransaction(tx: PostgresClient): QueueSql {
  return { query: (text, values) => tx.query(prepared(text, values)) };
}

const HELD = `id = $1 AND lease = $2 AND status = 'running'`;
const END_LEASE = 'lease = NULL, lease_until = NULL';

const COMPLETE = `UPDATE twofold_commands SET status = 'succeeded', result = $3, position = $4, updated_at = $5, ${END_LEASE}
  WHERE ${HELD}`;

// Completions and a claim in one round trip, through the function of the queue's migrations: $1 the ids, $2
// the leases, $3 the results, $4 the positions (one element per completion, none for a plain claim), $5 now, $6 how
// many to claim, $7 the claimed commands' lease end, $8 the channel to tell completions on in their commit (or
// null). Its first row gives the completed ids and carries no command; the claimed rows, if any, follow.
const COMPLETE_AND_CLAIM = `SELECT completed, told, seq, ${QUEUED_COMMAND_COLUMNS}
  FROM twofold_complete_and_claim($1::text[], $2::text[], $3::text[], $4::bigint[], $5, $6, $7, $8)`;

// A claim that records no outcome commits without waiting for the server to flush its log: synchronous_commit is off
// for its own transaction (what counts is its value at the commit). Lost to a server crash, the claim only leaves its
// commands claimable as they were before it, the attempt uncounted; an outcome recorded under its lease then changes
// nothing, and the command runs again. Any later synchronous commit on the server flushes it too. The queue runs it
// only as a statement of its own: in a transaction, it would take the durability of the whole. The filter is a
// one-time filter, evaluated before the function runs.
const CLAIM = `${COMPLETE_AND_CLAIM} WHERE (SELECT set_config('synchronous_commit', 'off', true)) = 'off'`;

type Claimed = ClaimedCommandRow & { completed: string[]; told: boolean };

const completeAndClaim = async (
  sql: QueueSql,
  completions: readonly { id: string; lease: string; result: string | null; position: number | null }[],
  { limit, now, until }: { limit: number; now: number; until: number },
  channel: string | null,
) => {
  const column = <K extends 'id' | 'lease' | 'result' | 'position'>(name: K) => completions.map((c) => c[name]);
  const found = await rows<Claimed>(sql, completions.length === 0 ? CLAIM : COMPLETE_AND_CLAIM, [
    column('id'),
    column('lease'),
    column('result'),
    column('position'),
    now,
    limit,
    until,
    channel,
  ]);
  const claimed = found.filter((row) => row.seq !== null).map(({ completed: _, told: __, ...row }) => row);
  return { completed: found[0]?.completed ?? [], claimed, told: found[0]?.told === true };
};

// An enqueue in one round trip: the key's lock (the one lockKey takes) before the row's seq is drawn, the insert, and
// the stored row. A conflicting row that committed while the statement ran is not in its snapshot: no row then.
// With a channel ($9), an insert is told on it in the statement's commit.
const ENQUEUE = `WITH locked AS (
    SELECT pg_advisory_xact_lock(hashtext('twofold_commands:' || $5::text)) FROM (VALUES (1)) AS one
    WHERE $5::text IS NOT NULL),
  inserted AS (
    INSERT INTO twofold_commands (id, type, data, envelope, key, priority, run_at, enqueued_at, status, attempts, updated_at)
    SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::integer, $7::bigint, $8::bigint, 'queued', 0, $8::bigint
    WHERE (SELECT count(*) FROM locked) >= 0
    ON CONFLICT (id) DO NOTHING
    RETURNING ${QUEUED_COMMAND_COLUMNS}),
  told AS (SELECT pg_notify($9::text, '') FROM (SELECT FROM inserted LIMIT 1) AS one WHERE $9::text IS NOT NULL)
  SELECT true AS inserted, (SELECT count(*) FROM told) > 0 AS told, ${QUEUED_COMMAND_COLUMNS} FROM inserted
  UNION ALL
  SELECT false, false, ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands
  WHERE id = $1::text AND NOT EXISTS (SELECT FROM inserted)`;

const changed = async (sql: QueueSql, text: string, values: unknown[]) =>
  ((await sql.query(text, values)).rowCount ?? 0) > 0;

const rows = async <R>(sql: QueueSql, text: string, values: unknown[]) => (await sql.query(text, values)).rows as R[];

/**
 * The command queue's statements on a handle's pool, for the queue protocol of `@twofold/core/adapters`. A claim
 * takes due commands with `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait for each other nor share a
 * command; an enqueue with a key takes a transaction lock on the key, so that commands with one key are numbered in
 * the order they commit. With `settledChannel`, the completions made with the next claim are told on that channel in
 * their own commit; with `wakeChannel`, an enqueue made while no other of this handle's is on its way is told on that
 * channel in its own commit (`told`).
 */
export function postgresQueue(
  db: SchemaPool,
  settledChannel?: string,
  wakeChannel?: string,
): CommandQueueDialect<QueueSql> {
  const pool: QueueSql = { query: (text, values) => db.query(text, values) };
  // The enqueues of this handle on their way.
  let enqueuing = 0;
  return {
    transaction: (body) => db.transaction((tx) => runAsync(body(inTransaction(tx)))),
    run: (body) => runAsync(body(pool)),
    lockKey: async (sql, key) => {
      await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`twofold_commands:${key}`]);
    },
    insert: (sql, r) =>
      changed(
        sql,
        `INSERT INTO twofold_commands (id, type, data, envelope, key, priority, run_at, enqueued_at, status, attempts, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $8) ON CONFLICT (id) DO NOTHING`,
        [r.id, r.type, r.data, r.envelope, r.key, r.priority, r.runAt, r.enqueuedAt],
      ),
    enqueue: async (sql, r) => {
      // Alone, an enqueue tells the workers in its commit, a round trip sooner than a NOTIFY after it; enqueues on
      // their way together leave it to those after their commits, which they share, since a transaction that
      // notifies holds a database-wide lock through its commit's flush and would line their commits up.
      const channel = wakeChannel !== undefined && enqueuing === 0 ? wakeChannel : null;
      enqueuing++;
      try {
        const [stored] = await rows<QueuedCommandRow & { inserted: boolean; told: boolean }>(sql, ENQUEUE, [
          r.id,
          r.type,
          r.data,
          r.envelope,
          r.key,
          r.priority,
          r.runAt,
          r.enqueuedAt,
          channel,
        ]);
        if (stored === undefined) return { inserted: false, row: undefined, told: false };
        const { inserted, told, ...row } = stored;
        return { inserted, row, told };
      } finally {
        enqueuing--;
      }
    },
    find: async (sql, id) =>
      (
        await rows<QueuedCommandRow>(sql, `SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE id = $1`, [id])
      )[0],
    claim: async (sql, request) => (await completeAndClaim(sql, [], request, null)).claimed,
    renew: (sql, { id, lease }, until) =>
      changed(sql, `UPDATE twofold_commands SET lease_until = $3 WHERE ${HELD}`, [id, lease, until]),
    complete: (sql, { id, lease }, { result, position, now }) =>
      changed(sql, COMPLETE, [id, lease, result, position, now]),
    completeAndClaim: (sql, completions, request) =>
      completeAndClaim(sql, completions, request, settledChannel ?? null),
    fail: (sql, { id, lease }, { status, problem, retryAt, now }) =>
      changed(
        sql,
        `UPDATE twofold_commands SET problem = $3, status = $4, run_at = coalesce($5::bigint, run_at), updated_at = $6,
           ${END_LEASE} WHERE ${HELD}`,
        [id, lease, problem, status, retryAt, now],
      ),
    release: (sql, { id, lease }, now) =>
      changed(
        sql,
        `UPDATE twofold_commands SET status = CASE WHEN problem IS NULL THEN 'queued' ELSE 'failed' END,
           attempts = attempts - 1, updated_at = $3, ${END_LEASE} WHERE ${HELD}`,
        [id, lease, now],
      ),
    cancel: (sql, id, now) =>
      changed(
        sql,
        `UPDATE twofold_commands SET status = 'cancelled', updated_at = $2 WHERE id = $1 AND status IN ('queued', 'failed')`,
        [id, now],
      ),
    dead: (sql, limit) =>
      rows<QueuedCommandRow>(
        sql,
        `SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE status = 'dead' ORDER BY seq LIMIT $1`,
        [limit ?? null],
      ),
    replay: (sql, id, now) =>
      changed(
        sql,
        `UPDATE twofold_commands SET status = 'queued', attempts = 0, run_at = $2, problem = NULL, updated_at = $2
         WHERE id = $1 AND status = 'dead'`,
        [id, now],
      ),
    discard: (sql, id) => changed(sql, `DELETE FROM twofold_commands WHERE id = $1 AND status = 'dead'`, [id]),
  };
}
