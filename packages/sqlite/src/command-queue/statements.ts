import {
  type ClaimedCommandRow,
  type CommandQueueDialect,
  QUEUED_COMMAND_COLUMNS,
  type QueuedCommandRow,
  runSync,
} from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

const LIVE = `status IN ('queued', 'failed', 'running')`;
const HELD = `id = @id AND lease = @lease AND status = 'running'`;
const END_LEASE = 'lease = NULL, lease_until = NULL';

// Due, and the earliest live command of its key: commands with one key run one after another, in enqueue order.
// The first term is the partial index's own condition, which SQLite must find in the query to use that index:
// without it a claim scans every command ever stored, finished ones included, and slows as the table grows.
export const CLAIMABLE = `SELECT seq FROM twofold_commands c
  WHERE c.${LIVE}
    AND ((c.status IN ('queued', 'failed') AND c.run_at <= @now) OR (c.status = 'running' AND c.lease_until <= @now))
    AND (c.key IS NULL OR NOT EXISTS (
      SELECT 1 FROM twofold_commands p WHERE p.key = c.key AND p.seq < c.seq AND p.${LIVE}))
  ORDER BY c.priority DESC, c.run_at, c.seq
  LIMIT @limit`;

type Params = Record<string, unknown>;

/**
 * The command queue's statements on a handle's connection, for the queue protocol of `@twofold/core/adapters`.
 * A claim runs in an immediate transaction of its own: it takes the file's write lock at BEGIN, so a claim in
 * another process waits, then sees the commands this one took as running. Writers take turns, so an enqueue locks
 * no key.
 */
export function sqliteQueue(db: SqliteConnection): CommandQueueDialect<SqliteConnection> {
  const prepare = <R = unknown>(sql: string) => db.prepare<[Params], R>(sql);
  const changes = (statement: Statement<[Params]>) => (params: Params) => statement.run(params).changes > 0;
  const insert = changes(
    prepare(`INSERT INTO twofold_commands (id, type, data, envelope, key, priority, run_at, enqueued_at, status, attempts, updated_at)
      VALUES (@id, @type, @data, @envelope, @key, @priority, @runAt, @enqueuedAt, 'queued', 0, @enqueuedAt)
      ON CONFLICT (id) DO NOTHING`),
  );
  const find = prepare<QueuedCommandRow>(`SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE id = @id`);
  // One statement: the subquery picks the commands before any is updated, and each gets a lease token of its own.
  const take = prepare<ClaimedCommandRow>(
    `UPDATE twofold_commands SET status = 'running', attempts = attempts + 1, lease = lower(hex(randomblob(16))),
       lease_until = @until, updated_at = @now WHERE seq IN (${CLAIMABLE}) RETURNING seq, ${QUEUED_COMMAND_COLUMNS}`,
  );
  const renew = changes(prepare(`UPDATE twofold_commands SET lease_until = @until WHERE ${HELD}`));
  const complete = changes(
    prepare(`UPDATE twofold_commands SET status = 'succeeded', result = @result, position = @position,
      updated_at = @now, ${END_LEASE} WHERE ${HELD}`),
  );
  const fail = changes(
    prepare(`UPDATE twofold_commands SET problem = @problem, status = @status, run_at = coalesce(@retryAt, run_at),
      updated_at = @now, ${END_LEASE} WHERE ${HELD}`),
  );
  const release = changes(
    prepare(`UPDATE twofold_commands SET status = CASE WHEN problem IS NULL THEN 'queued' ELSE 'failed' END,
      attempts = attempts - 1, updated_at = @now, ${END_LEASE} WHERE ${HELD}`),
  );
  const cancel = changes(
    prepare(`UPDATE twofold_commands SET status = 'cancelled', updated_at = @now
      WHERE id = @id AND status IN ('queued', 'failed')`),
  );
  const dead = prepare<QueuedCommandRow>(
    `SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE status = 'dead' ORDER BY seq LIMIT @limit`,
  );
  const replay = changes(
    prepare(`UPDATE twofold_commands SET status = 'queued', attempts = 0, run_at = @now, problem = NULL,
      updated_at = @now WHERE id = @id AND status = 'dead'`),
  );
  const discard = changes(prepare(`DELETE FROM twofold_commands WHERE id = @id AND status = 'dead'`));
  return {
    transaction: (body) => db.transaction(() => runSync(body(db))).immediate(),
    run: (body) => runSync(body(db)),
    lockKey: () => undefined,
    insert: (_, row) => insert({ ...row }),
    find: (_, id) => find.get({ id }),
    // Under the write lock, taken at BEGIN: a claim in another process waits, then sees these as running.
    claim: (_, { limit, now, until }) => db.transaction(() => take.all({ limit, now, until })).immediate(),
    renew: (_, held, until) => renew({ ...held, until }),
    complete: (_, held, success) => complete({ ...held, ...success }),
    fail: (_, held, failure) => fail({ ...held, ...failure }),
    release: (_, held, now) => release({ ...held, now }),
    cancel: (_, id, now) => cancel({ id, now }),
    dead: (_, limit) => dead.all({ limit: limit ?? -1 }),
    replay: (_, id, now) => replay({ id, now }),
    discard: (_, id) => discard({ id }),
  };
}
