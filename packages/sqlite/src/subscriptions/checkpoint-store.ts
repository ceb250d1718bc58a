import type { CheckpointStore, GlobalPosition } from '@twofold/core';
import { migrate } from '../connection/migrations.js';
import { closeDatabase, openDatabase, type SqliteConnectionOptions, type SqliteTx } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';
import { checkpointMigrations } from './schema.js';

/**
 * Subscribers' checkpoints in SQLite, so that a side-effect handler resumes where it stopped after a restart.
 * By default in the write store's file.
 *
 * @example
 * const checkpoints = new SqliteCheckpointStore({ path: 'data/hotel.db' });
 * const deadLetters = new SqliteDeadLetterStore({ path: 'data/hotel.db' });
 * new SubscriberRunner({ subscriber: confirmationEmails, feed: store, checkpoints, deadLetters }).start();
 */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly #db: SqliteTx;
  readonly #get: Statement<[string], number>;
  readonly #set: Statement<[string, number, number]>;

  constructor(options: SqliteConnectionOptions = {}) {
    this.#db = openDatabase(options, 'data/twofold.db', 'SqliteCheckpointStore');
    try {
      migrate(this.#db, 'checkpoints', checkpointMigrations);
    } catch (error) {
      closeDatabase(this.#db);
      throw error;
    }
    this.#get = this.#db.prepare<[string], number>('SELECT position FROM twofold_checkpoints WHERE name = ?').pluck();
    this.#set = this.#db.prepare(
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

  /** Closes the connection. Closing twice is harmless. */
  close(): void {
    closeDatabase(this.#db);
  }
}
