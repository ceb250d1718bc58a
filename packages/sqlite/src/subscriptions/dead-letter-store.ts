import type { DeadLetter, DeadLetterStore } from '@twofold/core';
import { type DeadLetterRow, deadLetterFromRow } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

const COLUMNS = 'id, subscriber, event, error, attempts, at';

/**
 * Dead letters in SQLite: events a subscriber gave up on, kept with the error until they are replayed or
 * discarded, across restarts: `sqlite(…).deadLetters`.
 *
 * @example
 * const { deadLetters } = sqlite('data/hotel.db');
 * for (const letter of await deadLetters.list('billing.refunds')) console.log(letter.event.position, letter.error);
 */
export class SqliteDeadLetterStore implements DeadLetterStore {
  readonly #add: Statement<[string, string, number, string, string, number, number]>;
  readonly #all: Statement<[], DeadLetterRow>;
  readonly #of: Statement<[string], DeadLetterRow>;
  readonly #get: Statement<[string], DeadLetterRow>;
  readonly #remove: Statement<[string]>;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    this.#add = db.prepare(
      `INSERT INTO twofold_dead_letters (id, subscriber, position, event, error, attempts, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET subscriber = excluded.subscriber, position = excluded.position,
         event = excluded.event, error = excluded.error, attempts = excluded.attempts, at = excluded.at`,
    );
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM twofold_dead_letters ORDER BY at, position`);
    this.#of = db.prepare(`SELECT ${COLUMNS} FROM twofold_dead_letters WHERE subscriber = ? ORDER BY at, position`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM twofold_dead_letters WHERE id = ?`);
    this.#remove = db.prepare('DELETE FROM twofold_dead_letters WHERE id = ?');
  }

  async add(letter: DeadLetter): Promise<void> {
    const { id, subscriber, event, error, attempts, at } = letter;
    this.#add.run(id, subscriber, event.position, JSON.stringify(event), error, attempts, at);
  }

  async list(subscriber?: string): Promise<readonly DeadLetter[]> {
    const rows = subscriber === undefined ? this.#all.all() : this.#of.all(subscriber);
    return rows.map(deadLetterFromRow);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : deadLetterFromRow(row);
  }

  async remove(id: string): Promise<void> {
    this.#remove.run(id);
  }
}
