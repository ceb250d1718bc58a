import type { DueTimer, GlobalPosition, ProcessCommit, ProcessInstance, ProcessStore } from '@twofold/core';
import type { PostgresCommandQueue } from '../command-queue/command-queue-store.js';
import { type PostgresClient, prepared, type SchemaPool, toNumber } from '../connection/schema-pool.js';

/**
 * Deletes a manager's closed instances that closed at or before a time, up to a limit ($1 manager, $2 time, $3
 * limit), found through the index of closed instances. A closed instance has no timers (closing clears them), and
 * its last write is the one that closed it.
 */
export const PRUNE_CLOSED = `DELETE FROM twofold_process_instances WHERE (manager, correlation) IN (SELECT manager,
  correlation FROM twofold_process_instances WHERE manager = $1 AND closed AND updated_at <= $2 LIMIT $3)`;

// Thrown inside a commit's transaction to roll it back when what it was read at has moved.
class Moved extends Error {}

/**
 * Process managers' instances, timers and checkpoints on PostgreSQL, `(await postgres(…)).processes`: each commit
 * writes the instance, its timers, its checkpoint and the commands it sends (into `commands`, through `enqueueIn`)
 * in one transaction, on the condition that the instance's version and the checkpoint are still those it read.
 *
 * @example
 * const db = await postgres({ connection: process.env.DATABASE_URL! });
 * twofold({ store: db }).processManager(checkout).worker();
 */
export class PostgresProcessStore implements ProcessStore {
  readonly #db: SchemaPool;
  readonly #queue: PostgresCommandQueue;

  /** The store on a database handle's pool, whose tables the handle has migrated, with its command queue. */
  constructor(db: SchemaPool, queue: PostgresCommandQueue) {
    this.#db = db;
    this.#queue = queue;
  }

  async instance(manager: string, correlation: string): Promise<ProcessInstance | undefined> {
    const [instances, timers] = await Promise.all([
      this.#db.query<{ state: string; version: number; closed: boolean }>(
        'SELECT state, version, closed FROM twofold_process_instances WHERE manager = $1 AND correlation = $2',
        [manager, correlation],
      ),
      this.#db.query<{ name: string; at: string }>(
        'SELECT name, at FROM twofold_process_timers WHERE manager = $1 AND correlation = $2',
        [manager, correlation],
      ),
    ]);
    const row = instances.rows[0];
    if (row === undefined) return undefined;
    return {
      state: JSON.parse(row.state),
      version: row.version,
      closed: row.closed,
      timers: Object.fromEntries(timers.rows.map(({ name, at }) => [name, toNumber(at)])),
    };
  }

  async commit(commit: ProcessCommit): Promise<boolean> {
    const { manager, correlation, instance, commands, checkpoint } = commit;
    const state = JSON.stringify(instance.state) ?? 'null';
    try {
      await this.#db.transaction(async (tx) => {
        // The checkpoint first: its row lock lines up the runners of one manager.
        if (checkpoint !== undefined && !(await this.#move(tx, manager, checkpoint.from, checkpoint.to))) {
          throw new Moved();
        }
        const written =
          instance.version === 1
            ? await tx.query(
                prepared(
                  `INSERT INTO twofold_process_instances (manager, correlation, state, version, closed, updated_at)
                   VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT DO NOTHING`,
                  [manager, correlation, state, instance.closed, Date.now()],
                ),
              )
            : await tx.query(
                prepared(
                  `UPDATE twofold_process_instances SET state = $3, version = $4, closed = $5, updated_at = $6
                   WHERE manager = $1 AND correlation = $2 AND version = $4 - 1`,
                  [manager, correlation, state, instance.version, instance.closed, Date.now()],
                ),
              );
        if (written.rowCount !== 1) throw new Moved();
        const timers = Object.entries(instance.timers);
        const names = timers.map(([name]) => name);
        await tx.query(
          prepared(
            `DELETE FROM twofold_process_timers WHERE manager = $1 AND correlation = $2
             AND NOT (name = ANY ($3::text[]))`,
            [manager, correlation, names],
          ),
        );
        if (timers.length > 0) {
          // A timer left due at the same time keeps its failures; one set anew or moved starts from none.
          await tx.query(
            prepared(
              `INSERT INTO twofold_process_timers AS t (manager, correlation, name, at)
               SELECT $1, $2, name, at FROM unnest($3::text[], $4::bigint[]) AS n(name, at)
               ON CONFLICT (manager, correlation, name) DO UPDATE SET at = excluded.at,
               failures = CASE WHEN t.at = excluded.at THEN t.failures ELSE 0 END`,
              [manager, correlation, names, timers.map(([, at]) => at)],
            ),
          );
        }
        for (const command of commands) await this.#queue.enqueueIn(tx, command);
      });
      return true;
    } catch (error) {
      if (error instanceof Moved) return false;
      throw error;
    }
  }

  async checkpoint(manager: string): Promise<GlobalPosition> {
    const { rows } = await this.#db.query<{ position: string }>(
      'SELECT position FROM twofold_process_checkpoints WHERE manager = $1',
      [manager],
    );
    return toNumber(rows[0]?.position) as GlobalPosition;
  }

  async moveCheckpoint(manager: string, from: GlobalPosition, to: GlobalPosition): Promise<boolean> {
    return this.#db.transaction((tx) => this.#move(tx, manager, from, to));
  }

  async dueTimers(manager: string, now: number, limit: number): Promise<readonly DueTimer[]> {
    const { rows } = await this.#db.query<{ correlation: string; name: string; at: string }>(
      `SELECT correlation, name, at FROM twofold_process_timers WHERE manager = $1 AND at <= $2
       ORDER BY at, correlation, name LIMIT $3`,
      [manager, now, limit],
    );
    return rows.map(({ correlation, name, at }) => ({ correlation, name, at: toNumber(at) }));
  }

  async timerFailed(manager: string, { correlation, name, at }: DueTimer): Promise<number> {
    const { rows } = await this.#db.query<{ failures: number }>(
      `UPDATE twofold_process_timers SET failures = failures + 1
       WHERE manager = $1 AND correlation = $2 AND name = $3 AND at = $4 RETURNING failures`,
      [manager, correlation, name, at],
    );
    return rows[0]?.failures ?? 0;
  }

  async nextTimer(manager: string): Promise<number | undefined> {
    const { rows } = await this.#db.query<{ at: string | null }>(
      'SELECT min(at) AS at FROM twofold_process_timers WHERE manager = $1',
      [manager],
    );
    const at = rows[0]?.at;
    return at === null || at === undefined ? undefined : toNumber(at);
  }

  async pruneClosed(manager: string, closedBefore: number, limit: number): Promise<number> {
    const { rowCount } = await this.#db.query(PRUNE_CLOSED, [manager, closedBefore, limit]);
    return rowCount ?? 0;
  }

  async #move(tx: PostgresClient, manager: string, from: GlobalPosition, to: GlobalPosition): Promise<boolean> {
    await tx.query(
      prepared('INSERT INTO twofold_process_checkpoints (manager, position) VALUES ($1, 0) ON CONFLICT DO NOTHING', [
        manager,
      ]),
    );
    const moved = await tx.query(
      prepared('UPDATE twofold_process_checkpoints SET position = $3 WHERE manager = $1 AND position = $2', [
        manager,
        from,
        to,
      ]),
    );
    return moved.rowCount === 1;
  }
}
