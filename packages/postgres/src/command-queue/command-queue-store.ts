import type {
  ClaimedCommand,
  ClaimRequest,
  CommandProblem,
  CommandQueueStore,
  CommandSuccess,
  NewQueuedCommand,
  QueuedCommand,
} from '@twofold/core';
import {
  checkClaimRequest,
  checkNewCommand,
  claimedCommandFromRow,
  inClaimOrder,
  newCommandValues,
  QUEUED_COMMAND_COLUMNS,
  type QueuedCommandRow,
  queuedCommandFromRow,
  resultJson,
} from '@twofold/core/adapters';
import { prepared, type SchemaPool, toNumber } from '../connection/schema-pool.js';
import type { Notifier } from '../event-store/notifier.js';
import type { QueueWakeUps } from './wake-ups.js';

const LIVE = `status IN ('queued', 'failed', 'running')`;
const HELD = `id = $1 AND lease = $2 AND status = 'running'`;

// Due, and the earliest live command of its key; rows another claim holds are skipped, not waited for.
const CLAIM = `UPDATE twofold_commands SET status = 'running', attempts = attempts + 1,
    lease = md5(random()::text || clock_timestamp()::text || seq::text), lease_until = $2 + $3, updated_at = $2
  WHERE seq IN (
    SELECT seq FROM twofold_commands c
    WHERE ((c.status IN ('queued', 'failed') AND c.run_at <= $2) OR (c.status = 'running' AND c.lease_until <= $2))
      AND (c.key IS NULL OR NOT EXISTS (
        SELECT 1 FROM twofold_commands p WHERE p.key = c.key AND p.seq < c.seq AND p.${LIVE}))
    ORDER BY c.priority DESC, c.run_at, c.seq
    LIMIT $1 FOR UPDATE SKIP LOCKED)
  RETURNING seq, ${QUEUED_COMMAND_COLUMNS}`;

/**
 * The command queue on PostgreSQL, `(await postgres(…)).commands`, shared by workers on any number of nodes. A claim
 * takes due commands with `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait for each other nor share a
 * command; an enqueue with a key takes a transaction lock on the key, so that commands with one key are numbered in
 * the order they commit. A NOTIFY after each enqueue wakes the workers listening on every node, and a worker that
 * dies leaves its commands to be claimed again when their leases end.
 *
 * @example
 * const db = await postgres({ connection: process.env.DATABASE_URL! });
 * const worker = new CommandWorker({ store: db.commands, mediator: app.mediator });
 */
export class PostgresCommandQueue implements CommandQueueStore {
  readonly #db: SchemaPool;
  readonly #notifier: Notifier;
  readonly #wakeUps: QueueWakeUps;

  /** The queue on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool, wakeUps: { readonly notifier: Notifier; readonly local: QueueWakeUps }) {
    this.#db = db;
    this.#notifier = wakeUps.notifier;
    this.#wakeUps = wakeUps.local;
  }

  async enqueue(command: NewQueuedCommand): Promise<QueuedCommand> {
    checkNewCommand(command);
    const v = newCommandValues(command);
    const inserted = await this.#db.transaction(async (tx) => {
      if (v.key !== null) await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`twofold_commands:${v.key}`]);
      const { rowCount } = await tx.query(
        prepared(
          `INSERT INTO twofold_commands (id, type, data, envelope, key, priority, run_at, enqueued_at, status, attempts, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $8) ON CONFLICT (id) DO NOTHING`,
          [v.id, v.type, v.data, v.envelope, v.key, v.priority, v.runAt, v.enqueuedAt],
        ),
      );
      return (rowCount ?? 0) > 0;
    });
    if (inserted) this.#changed();
    return (await this.get(command.id))!;
  }

  async claim(request: ClaimRequest): Promise<readonly ClaimedCommand[]> {
    checkClaimRequest(request);
    const { limit, leaseMs, now } = request;
    const { rows } = await this.#db.query<QueuedCommandRow & { seq: string }>(CLAIM, [limit, now, leaseMs]);
    const ordered = inClaimOrder(
      rows.map((row) => ({ row, seq: toNumber(row.seq), priority: Number(row.priority), runAt: Number(row.run_at) })),
    );
    return ordered.map(({ row }) => claimedCommandFromRow(row));
  }

  async renew(id: string, lease: string, until: number): Promise<boolean> {
    return this.#update(`UPDATE twofold_commands SET lease_until = $3 WHERE ${HELD}`, [id, lease, until]);
  }

  async complete(id: string, lease: string, success: CommandSuccess, now: number): Promise<boolean> {
    return this.#update(
      `UPDATE twofold_commands SET status = 'succeeded', result = $3, position = $4, updated_at = $5, lease = NULL,
         lease_until = NULL WHERE ${HELD}`,
      [id, lease, resultJson(success.result), success.position ?? null, now],
    );
  }

  async fail(
    id: string,
    lease: string,
    problem: CommandProblem,
    retryAt: number | undefined,
    now: number,
  ): Promise<boolean> {
    const changed = await this.#update(
      `UPDATE twofold_commands SET problem = $3, status = CASE WHEN $4::bigint IS NULL THEN 'dead' ELSE 'failed' END,
         run_at = coalesce($4::bigint, run_at), updated_at = $5, lease = NULL, lease_until = NULL WHERE ${HELD}`,
      [id, lease, JSON.stringify({ code: problem.code, message: problem.message }), retryAt ?? null, now],
    );
    if (changed && retryAt !== undefined) this.#changed();
    return changed;
  }

  async release(id: string, lease: string, now: number): Promise<boolean> {
    const changed = await this.#update(
      `UPDATE twofold_commands SET status = CASE WHEN problem IS NULL THEN 'queued' ELSE 'failed' END,
         attempts = attempts - 1, updated_at = $3, lease = NULL, lease_until = NULL WHERE ${HELD}`,
      [id, lease, now],
    );
    if (changed) this.#changed();
    return changed;
  }

  async cancel(id: string, now: number): Promise<boolean> {
    const changed = await this.#update(
      `UPDATE twofold_commands SET status = 'cancelled', updated_at = $2 WHERE id = $1 AND status IN ('queued', 'failed')`,
      [id, now],
    );
    if (changed) this.#changed();
    return changed;
  }

  async get(id: string): Promise<QueuedCommand | undefined> {
    const { rows } = await this.#db.query<QueuedCommandRow>(
      `SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE id = $1`,
      [id],
    );
    return rows[0] === undefined ? undefined : queuedCommandFromRow(rows[0]);
  }

  async dead(limit?: number): Promise<readonly QueuedCommand[]> {
    const { rows } = await this.#db.query<QueuedCommandRow>(
      `SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE status = 'dead' ORDER BY seq LIMIT $1`,
      [limit ?? null],
    );
    return rows.map(queuedCommandFromRow);
  }

  async replay(id: string, now: number): Promise<boolean> {
    const changed = await this.#update(
      `UPDATE twofold_commands SET status = 'queued', attempts = 0, run_at = $2, problem = NULL, updated_at = $2
       WHERE id = $1 AND status = 'dead'`,
      [id, now],
    );
    if (changed) this.#changed();
    return changed;
  }

  async discard(id: string): Promise<boolean> {
    return this.#update(`DELETE FROM twofold_commands WHERE id = $1 AND status = 'dead'`, [id]);
  }

  subscribe(listener: () => void): () => void {
    return this.#wakeUps.subscribe(listener);
  }

  async #update(sql: string, values: unknown[]): Promise<boolean> {
    const { rowCount } = await this.#db.query(sql, values);
    return (rowCount ?? 0) > 0;
  }

  #changed(): void {
    this.#wakeUps.wake();
    this.#notifier.notify();
  }
}
