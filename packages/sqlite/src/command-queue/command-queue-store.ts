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
  newCommandValues,
  QUEUED_COMMAND_COLUMNS,
  type QueuedCommandRow,
  queuedCommandFromRow,
  resultJson,
} from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

const LIVE = `status IN ('queued', 'failed', 'running')`;

// Due, and the earliest live command of its key: commands with one key run one after another, in enqueue order.
const CLAIMABLE = `SELECT seq FROM twofold_commands c
  WHERE ((c.status IN ('queued', 'failed') AND c.run_at <= ?) OR (c.status = 'running' AND c.lease_until <= ?))
    AND (c.key IS NULL OR NOT EXISTS (
      SELECT 1 FROM twofold_commands p WHERE p.key = c.key AND p.seq < c.seq AND p.${LIVE}))
  ORDER BY c.priority DESC, c.run_at, c.seq
  LIMIT ?`;

/**
 * The command queue in the SQLite file, `sqlite(…).commands`: commands survive restarts, and workers in several
 * processes on one file share it. A claim takes the file's write lock, so no two claims ever hand out one command;
 * a worker that dies leaves its commands to be claimed again when their leases end. Enqueues in this process wake
 * its workers at once; workers in other processes find new commands at their next poll.
 *
 * @example
 * const db = sqlite('data/hotel.db');
 * const worker = new CommandWorker({ store: db.commands, mediator: app.mediator });
 */
export class SqliteCommandQueue implements CommandQueueStore {
  readonly #db: SqliteConnection;
  readonly #listeners = new Set<() => void>();
  readonly #insert: Statement<[string, string, string, string, string | null, number, number, number, number]>;
  readonly #get: Statement<[string], QueuedCommandRow>;
  readonly #claimable: Statement<[number, number, number], number>;
  readonly #take: Statement<[string, number, number, number], QueuedCommandRow>;
  readonly #renew: Statement<[number, string, string]>;
  readonly #complete: Statement<[string | null, number | null, number, string, string]>;
  readonly #fail: Statement<[string, string, number | null, number, string, string]>;
  readonly #release: Statement<[number, string, string]>;
  readonly #cancel: Statement<[number, string]>;
  readonly #dead: Statement<[number], QueuedCommandRow>;
  readonly #replay: Statement<[number, number, string]>;
  readonly #discard: Statement<[string]>;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO twofold_commands (id, type, data, envelope, key, priority, run_at, enqueued_at, status, attempts, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.#get = db.prepare(`SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE id = ?`);
    this.#claimable = db.prepare<[number, number, number], number>(CLAIMABLE).pluck();
    this.#take = db.prepare(
      `UPDATE twofold_commands SET status = 'running', attempts = attempts + 1, lease = ?, lease_until = ?, updated_at = ?
       WHERE seq = ? RETURNING ${QUEUED_COMMAND_COLUMNS}`,
    );
    const held = `id = ? AND lease = ? AND status = 'running'`;
    this.#renew = db.prepare(`UPDATE twofold_commands SET lease_until = ? WHERE ${held}`);
    this.#complete = db.prepare(
      `UPDATE twofold_commands SET status = 'succeeded', result = ?, position = ?, updated_at = ?, lease = NULL,
         lease_until = NULL WHERE ${held}`,
    );
    this.#fail = db.prepare(
      `UPDATE twofold_commands SET problem = ?, status = ?, run_at = coalesce(?, run_at), updated_at = ?, lease = NULL,
         lease_until = NULL WHERE ${held}`,
    );
    this.#release = db.prepare(
      `UPDATE twofold_commands SET status = CASE WHEN problem IS NULL THEN 'queued' ELSE 'failed' END,
         attempts = attempts - 1, updated_at = ?, lease = NULL, lease_until = NULL WHERE ${held}`,
    );
    this.#cancel = db.prepare(
      `UPDATE twofold_commands SET status = 'cancelled', updated_at = ? WHERE id = ? AND status IN ('queued', 'failed')`,
    );
    this.#dead = db.prepare(
      `SELECT ${QUEUED_COMMAND_COLUMNS} FROM twofold_commands WHERE status = 'dead' ORDER BY seq LIMIT ?`,
    );
    this.#replay = db.prepare(
      `UPDATE twofold_commands SET status = 'queued', attempts = 0, run_at = ?, problem = NULL, updated_at = ?
       WHERE id = ? AND status = 'dead'`,
    );
    this.#discard = db.prepare(`DELETE FROM twofold_commands WHERE id = ? AND status = 'dead'`);
  }

  async enqueue(command: NewQueuedCommand): Promise<QueuedCommand> {
    checkNewCommand(command);
    const v = newCommandValues(command);
    const { changes } = this.#insert.run(
      v.id,
      v.type,
      v.data,
      v.envelope,
      v.key,
      v.priority,
      v.runAt,
      v.enqueuedAt,
      v.enqueuedAt,
    );
    if (changes > 0) this.#notify();
    return queuedCommandFromRow(this.#get.get(command.id)!);
  }

  async claim(request: ClaimRequest): Promise<readonly ClaimedCommand[]> {
    checkClaimRequest(request);
    const { limit, leaseMs, now } = request;
    // Under the write lock, taken at BEGIN: a claim in another process waits, then sees these as running.
    const claim = this.#db.transaction(() =>
      this.#claimable
        .all(now, now, limit)
        .map((seq) => claimedCommandFromRow(this.#take.get(crypto.randomUUID(), now + leaseMs, now, seq)!)),
    );
    return claim.immediate();
  }

  async renew(id: string, lease: string, until: number): Promise<boolean> {
    return this.#renew.run(until, id, lease).changes > 0;
  }

  async complete(id: string, lease: string, success: CommandSuccess, now: number): Promise<boolean> {
    const position = success.position ?? null;
    return this.#complete.run(resultJson(success.result), position, now, id, lease).changes > 0;
  }

  async fail(
    id: string,
    lease: string,
    problem: CommandProblem,
    retryAt: number | undefined,
    now: number,
  ): Promise<boolean> {
    const text = JSON.stringify({ code: problem.code, message: problem.message });
    const status = retryAt === undefined ? 'dead' : 'failed';
    const changed = this.#fail.run(text, status, retryAt ?? null, now, id, lease).changes > 0;
    if (changed && retryAt !== undefined) this.#notify();
    return changed;
  }

  async release(id: string, lease: string, now: number): Promise<boolean> {
    const changed = this.#release.run(now, id, lease).changes > 0;
    if (changed) this.#notify();
    return changed;
  }

  async cancel(id: string, now: number): Promise<boolean> {
    const changed = this.#cancel.run(now, id).changes > 0;
    if (changed) this.#notify();
    return changed;
  }

  async get(id: string): Promise<QueuedCommand | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : queuedCommandFromRow(row);
  }

  async dead(limit?: number): Promise<readonly QueuedCommand[]> {
    return this.#dead.all(limit ?? -1).map(queuedCommandFromRow);
  }

  async replay(id: string, now: number): Promise<boolean> {
    const changed = this.#replay.run(now, now, id).changes > 0;
    if (changed) this.#notify();
    return changed;
  }

  async discard(id: string): Promise<boolean> {
    return this.#discard.run(id).changes > 0;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
