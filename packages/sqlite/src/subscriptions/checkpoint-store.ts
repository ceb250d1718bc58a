import type { CheckpointStore, GlobalPosition } from '@twofold/core';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

/**
 * Subscribers' checkpoints in SQLite, `sqlite(…).checkpoints`, so that a side-effect handler resumes where it
 * stopped after a restart.
 *
 * @example
 * const db = sqlite('data/hotel.db');
 * new SubscriberRunner({ subscriber: confirmationEmails, feed: db.events, checkpoints: db.checkpoints, deadLetters: db.deadLetters }).start();
 */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly #get: Statement<[string], number>;
  readonly #set: Statement<[string, number, number]>;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    this.#get = db.prepare<[string], number>('SELECT position FROM twofold_checkpoints WHERE name = ?').pluck();
    this.#set = db.prepare(
      `INSERT INTO twofold_checkpoints (name, position, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    );
  }

  async get(name: string): Promise<GlobalPosition> {
    return (this.#get.get(name) ?? 0) as GlobalPosition;
  }

  async set(name: string, position: GlobalPosition): Promise<void> {
    this.#set.run(name, position, Date.now());
  }
}
