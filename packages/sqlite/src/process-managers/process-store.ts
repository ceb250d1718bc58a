import type { DueTimer, GlobalPosition, ProcessCommit, ProcessInstance, ProcessStore } from '@twofold/core';
import type { SqliteCommandQueue } from '../command-queue/command-queue-store.js';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

interface InstanceRow {
  readonly state: string;
  readonly version: number;
  readonly closed: number;
}

/**
 * Deletes a manager's closed instances that closed at or before a time, up to a limit (manager, manager, time,
 * limit), found through the index of closed instances. A closed instance has no timers (closing clears them), and
 * its last write is the one that closed it.
 */
export const PRUNE_CLOSED = `DELETE FROM twofold_process_instances WHERE manager = ? AND correlation IN (SELECT correlation
  FROM twofold_process_instances WHERE manager = ? AND closed = 1 AND updated_at <= ? LIMIT ?)`;

/**
 * Process managers' instances, timers and checkpoints in the SQLite file, `sqlite(…).processes`: each commit
 * writes the instance, its timers, its checkpoint and the commands it sends (into `sqlite(…).commands`) in one
 * transaction, so they survive a restart together or not at all.
 *
 * @example
 * const db = sqlite('data/hotel.db');
 * twofold({ store: db }).processManager(checkout).worker();
 */
export class SqliteProcessStore implements ProcessStore {
  readonly #db: SqliteConnection;
  readonly #queue: SqliteCommandQueue;
  readonly #instance: Statement<[string, string], InstanceRow>;
  readonly #timers: Statement<[string, string], { name: string; at: number }>;
  readonly #upsert: Statement<[string, string, string, number, number, number]>;
  readonly #keepTimers: Statement<[string, string, string]>;
  readonly #setTimer: Statement<[string, string, string, number]>;
  readonly #timerFailed: Statement<[string, string, string, number], number>;
  readonly #checkpoint: Statement<[string], number>;
  readonly #setCheckpoint: Statement<[string, number]>;
  readonly #due: Statement<[string, number, number], DueTimer>;
  readonly #next: Statement<[string], number | null>;
  readonly #prune: Statement<[string, string, number, number]>;

  /** Made by {@link sqlite}, on its connection (migrated), with its command queue. */
  constructor(db: SqliteConnection, queue: SqliteCommandQueue) {
    this.#db = db;
    this.#queue = queue;
    this.#instance = db.prepare(
      'SELECT state, version, closed FROM twofold_process_instances WHERE manager = ? AND correlation = ?',
    );
    this.#timers = db.prepare('SELECT name, at FROM twofold_process_timers WHERE manager = ? AND correlation = ?');
    this.#upsert = db.prepare(
      `INSERT INTO twofold_process_instances (manager, correlation, state, version, closed, updated_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (manager, correlation) DO UPDATE SET state = excluded.state,
       version = excluded.version, closed = excluded.closed, updated_at = excluded.updated_at`,
    );
    this.#keepTimers = db.prepare(
      `DELETE FROM twofold_process_timers WHERE manager = ? AND correlation = ?
       AND name NOT IN (SELECT value FROM json_each(?))`,
    );
    // A timer left due at the same time keeps its failures; one set anew or moved starts from none.
    this.#setTimer = db.prepare(
      `INSERT INTO twofold_process_timers (manager, correlation, name, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (manager, correlation, name) DO UPDATE SET at = excluded.at,
       failures = CASE WHEN at = excluded.at THEN failures ELSE 0 END`,
    );
    this.#timerFailed = db
      .prepare<[string, string, string, number], number>(
        `UPDATE twofold_process_timers SET failures = failures + 1
         WHERE manager = ? AND correlation = ? AND name = ? AND at = ? RETURNING failures`,
      )
      .pluck();
    this.#checkpoint = db
      .prepare<[string], number>('SELECT position FROM twofold_process_checkpoints WHERE manager = ?')
      .pluck();
    this.#setCheckpoint = db.prepare(
      `INSERT INTO twofold_process_checkpoints (manager, position) VALUES (?, ?)
       ON CONFLICT (manager) DO UPDATE SET position = excluded.position`,
    );
    this.#due = db.prepare(
      `SELECT correlation, name, at FROM twofold_process_timers WHERE manager = ? AND at <= ?
       ORDER BY at, correlation, name LIMIT ?`,
    );
    this.#next = db
      .prepare<[string], number | null>('SELECT min(at) FROM twofold_process_timers WHERE manager = ?')
      .pluck();
    this.#prune = db.prepare(PRUNE_CLOSED);
  }

  async instance(manager: string, correlation: string): Promise<ProcessInstance | undefined> {
    const row = this.#instance.get(manager, correlation);
    if (row === undefined) return undefined;
    const timers = Object.fromEntries(this.#timers.all(manager, correlation).map(({ name, at }) => [name, at]));
    return { state: JSON.parse(row.state), version: row.version, closed: row.closed === 1, timers };
  }

  async commit(commit: ProcessCommit): Promise<boolean> {
    const { manager, correlation, instance, commands, checkpoint } = commit;
    const state = JSON.stringify(instance.state) ?? 'null';
    // Under the write lock, taken at BEGIN: what is checked cannot move before the commit.
    const write = this.#db.transaction(() => {
      if ((this.#instance.get(manager, correlation)?.version ?? 0) !== instance.version - 1) return false;
      if (checkpoint !== undefined && (this.#checkpoint.get(manager) ?? 0) !== checkpoint.from) return false;
      this.#upsert.run(manager, correlation, state, instance.version, instance.closed ? 1 : 0, Date.now());
      const timers = Object.entries(instance.timers);
      this.#keepTimers.run(manager, correlation, JSON.stringify(timers.map(([name]) => name)));
      for (const [name, at] of timers) this.#setTimer.run(manager, correlation, name, at);
      if (checkpoint !== undefined) this.#setCheckpoint.run(manager, checkpoint.to);
      for (const command of commands) this.#queue.enqueueIn(this.#db, command);
      return true;
    });
    return write.immediate();
  }

  async checkpoint(manager: string): Promise<GlobalPosition> {
    return (this.#checkpoint.get(manager) ?? 0) as GlobalPosition;
  }

  async moveCheckpoint(manager: string, from: GlobalPosition, to: GlobalPosition): Promise<boolean> {
    const move = this.#db.transaction(() => {
      if ((this.#checkpoint.get(manager) ?? 0) !== from) return false;
      this.#setCheckpoint.run(manager, to);
      return true;
    });
    return move.immediate();
  }

  async dueTimers(manager: string, now: number, limit: number): Promise<readonly DueTimer[]> {
    return this.#due.all(manager, now, limit).map(({ correlation, name, at }) => ({ correlation, name, at }));
  }

  async timerFailed(manager: string, { correlation, name, at }: DueTimer): Promise<number> {
    return this.#timerFailed.get(manager, correlation, name, at) ?? 0;
  }

  async nextTimer(manager: string): Promise<number | undefined> {
    return this.#next.get(manager) ?? undefined;
  }

  async pruneClosed(manager: string, closedBefore: number, limit: number): Promise<number> {
    return this.#prune.run(manager, manager, closedBefore, limit).changes;
  }
}
