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

const LIVE = `status IN ('queued', 'failed', 'running')`;
const HELD = `id = $1 AND lease = $2 AND status = 'running'`;
const END_LEASE = 'lease = NULL, lease_until = NULL';

// Due, and the earliest live command of its key; rows another claim holds are skipped, not waited for.
// "Due" is one expression filtered on the rows of the due index, not an OR of two conditions the planner would turn
// into bitmap scans: so the plan walks the index in claim order and stops at the limit, instead of fetching and
// sorting every due command on each claim, which made draining a backlog quadratic. `also` narrows the commands
// claimed (`c`) and `before` the key's earlier live commands (`p`) that hold them back.
const claiming = (p: { limit: string; now: string; until: string; also?: string; before?: string }) =>
  `UPDATE twofold_commands SET status = 'running', attempts = attempts + 1,
    lease = md5(random()::text || clock_timestamp()::text || seq::text), lease_until = ${p.until}, updated_at = ${p.now}
  WHERE seq IN (
    SELECT seq FROM twofold_commands c
    WHERE c.status IN ('queued', 'failed', 'running')
      AND (CASE WHEN c.status = 'running' THEN c.lease_until ELSE c.run_at END) <= ${p.now} ${p.also ?? ''}
      AND (c.key IS NULL OR NOT EXISTS (
        SELECT 1 FROM twofold_commands p WHERE p.key = c.key AND p.seq < c.seq AND p.${LIVE} ${p.before ?? ''}))
    ORDER BY c.priority DESC, c.run_at, c.seq
    LIMIT ${p.limit} FOR UPDATE SKIP LOCKED)
  RETURNING seq, ${QUEUED_COMMAND_COLUMNS}`;

const CLAIM = claiming({ limit: '$1', now: '$2', until: '$3' });

const COMPLETE = `UPDATE twofold_commands SET status = 'succeeded', result = $3, position = $4, updated_at = $5, ${END_LEASE}
  WHERE ${HELD}`;

// Completions and a claim in one round trip: `done` marks the held commands succeeded, then the claim. Both see the
// snapshot the statement began with, where the completed commands are still live: the claim passes them over (`also`;
// a lease may have ended), and does not count them among their keys' earlier live commands once the completions have
// changed them, so that a key's next command is claimed now. With a channel ($8), the completions are told on it in
// the same commit, not in a transaction of their own after it. The first row gives the ids the completions changed;
// the claimed rows, if any, follow.
const completingAndClaiming = (done: string, also: string) => `WITH done AS (${done} RETURNING t.id),
  told AS (SELECT pg_notify($8::text, '') FROM (SELECT FROM done LIMIT 1) AS one WHERE $8::text IS NOT NULL),
  claimed AS (${claiming({ limit: '$6', now: '$5', until: '$7', also, before: 'AND p.id NOT IN (SELECT id FROM done)' })})
  SELECT ARRAY(SELECT id FROM done) AS completed, (SELECT count(*) FROM told) > 0 AS told, claimed.*
  FROM (VALUES (1)) AS one LEFT JOIN claimed ON true`;

// One completion ($1 id, $2 lease, $3 result, $4 position): its own statement, whose plan the server keeps, where
// the statement over arrays is planned anew on each call (0.3 ms in `EXPLAIN ANALYZE`, twice its execution).
const COMPLETE_ONE_AND_CLAIM = completingAndClaiming(
  `UPDATE twofold_commands t SET status = 'succeeded', result = $3, position = $4, updated_at = $5, ${END_LEASE}
    WHERE ${HELD}`,
  'AND c.id <> $1',
);

// Several: $1 the ids, $2 the leases, $3 the results, $4 the positions, one element per command.
const COMPLETE_ALL_AND_CLAIM = completingAndClaiming(
  `UPDATE twofold_commands t SET status = 'succeeded', result = d.result, position = d.position, updated_at = $5,
      ${END_LEASE}
    FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS d(id, lease, result, position)
    WHERE t.id = d.id AND t.lease = d.lease AND t.status = 'running'`,
  'AND c.id <> ALL($1::text[])',
);

// An enqueue in one round trip: the key's lock (the one lockKey takes) before the row's seq is drawn, the insert, and
// the stored row. A conflicting row that committed while the statement ran is not in its snapshot: no row then.
const ENQUEUE = `WITH locked AS (
    SELECT pg_advisory_xact_lock(hashtext('twofold_commands:' || $5::text)) FROM (VALUES (1)) AS one
    WHERE $5::text IS NOT NULL),
  inserted AS (
    INSERT INTO twofold_commands (id, type, data, envelope, key, priority, run_at, enqueued_at, status, attempts, updated_at)
    SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::integer, $7::bigint, $8::bigint, 'queued', 0, $8::bigint
    WHERE (SELECT count(*) FROM locked) >= 0
    ON CONFLICT (id) DO NOTHING
    RETURNING ${QUEUED_COMMAND_COLUMNS})
  SELECT true AS inserted, ${QUEUED_COMMAND_COLUMNS} FROM inserted
  UNION ALL
  SELECT false, ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE id = $1::text AND NOT EXISTS (SELECT FROM inserted)`;

const changed = async (sql: QueueSql, text: string, values: unknown[]) =>
  ((await sql.query(text, values)).rowCount ?? 0) > 0;

const rows = async <R>(sql: QueueSql, text: string, values: unknown[]) => (await sql.query(text, values)).rows as R[];

/**
 * The command queue's statements on a handle's pool, for the queue protocol of `@twofold/core/adapters`. A claim
 * takes due commands with `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait for each other nor share a
 * command; an enqueue with a key takes a transaction lock on the key, so that commands with one key are numbered in
 * the order they commit. With `settledChannel`, the completions made with the next claim are told on that channel in
 * their own commit.
 */
export function postgresQueue(db: SchemaPool, settledChannel?: string): CommandQueueDialect<QueueSql> {
  const pool: QueueSql = { query: (text, values) => db.query(text, values) };
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
      const [stored] = await rows<QueuedCommandRow & { inserted: boolean }>(sql, ENQUEUE, [
        r.id,
        r.type,
        r.data,
        r.envelope,
        r.key,
        r.priority,
        r.runAt,
        r.enqueuedAt,
      ]);
      if (stored === undefined) return { inserted: false, row: undefined };
      const { inserted, ...row } = stored;
      return { inserted, row };
    },
    find: async (sql, id) =>
      (
        await rows<QueuedCommandRow>(sql, `SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE id = $1`, [id])
      )[0],
    claim: (sql, { limit, now, until }) => rows<ClaimedCommandRow>(sql, CLAIM, [limit, now, until]),
    renew: (sql, { id, lease }, until) =>
      changed(sql, `UPDATE twofold_commands SET lease_until = $3 WHERE ${HELD}`, [id, lease, until]),
    complete: (sql, { id, lease }, { result, position, now }) =>
      changed(sql, COMPLETE, [id, lease, result, position, now]),
    completeAndClaim: async (sql, completions, { limit, now, until }) => {
      const [first, ...others] = completions;
      const one = first !== undefined && others.length === 0;
      const column = <K extends 'id' | 'lease' | 'result' | 'position'>(name: K) =>
        one ? first[name] : completions.map((c) => c[name]);
      const found = await rows<ClaimedCommandRow & { completed: string[]; told: boolean }>(
        sql,
        one ? COMPLETE_ONE_AND_CLAIM : COMPLETE_ALL_AND_CLAIM,
        [
          column('id'),
          column('lease'),
          column('result'),
          column('position'),
          now,
          limit,
          until,
          settledChannel ?? null,
        ],
      );
      const claimed = found.filter((row) => row.seq !== null).map(({ completed: _, told: __, ...row }) => row);
      return { completed: found[0]?.completed ?? [], claimed, told: found[0]?.told === true };
    },
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
