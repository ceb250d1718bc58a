import type { DeadLetter, DeadLetterPage, DeadLetterStore } from '@twofold/core';
import { checkDeadLetterList, type DeadLetterRow, deadLetterFromRow } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

const COLUMNS = 'id, subscriber, event, error, attempts, at';

/**
 * A page's query, for every subscriber's letters or one's, from the first or after one: it reads an index
 * (subscriber, at, id) or (at, id) in its order and stops at the limit (-1 for none). BINARY, the column's
 * collation, compares ids as UTF-8 bytes, that is code point by code point.
 */
export function pageQuery(ofOne: boolean, after: boolean): string {
  const where = [ofOne ? 'subscriber = ?' : '', after ? '(at, id) > (?, ?)' : ''].filter((term) => term !== '');
  return `SELECT ${COLUMNS} FROM twofold_dead_letters ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
    ORDER BY at, id LIMIT ?`;
}

/**
 * Dead letters in SQLite: events a subscriber gave up on, kept with the error until they are replayed or
 * discarded, across restarts: `sqlite(…).deadLetters`.
 *
 * @example
 * const { deadLetters } = sqlite('data/hotel.db');
 * for (const letter of await deadLetters.list('billing.refunds', { limit: 50 })) console.log(letter.id, letter.error);
 */
export class SqliteDeadLetterStore implements DeadLetterStore {
  readonly #add: Statement<[string, string, number, string, string, number, number]>;
  // By pageQuery's arguments: [every subscriber's, one's] × [from the first, after one].
  readonly #pages: readonly (readonly Statement<unknown[], DeadLetterRow>[])[];
  readonly #get: Statement<[string], DeadLetterRow>;
  readonly #remove: Statement<[string]>;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    this.#add = db.prepare(
      `INSERT INTO twofold_dead_letters (id, subscriber, position, event, error, attempts, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET subscriber = excluded.subscriber, position = excluded.position,
         event = excluded.event, error = excluded.error, attempts = excluded.attempts, at = excluded.at`,
    );
    this.#pages = [false, true].map((ofOne) => [false, true].map((after) => db.prepare(pageQuery(ofOne, after))));
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM twofold_dead_letters WHERE id = ?`);
    this.#remove = db.prepare('DELETE FROM twofold_dead_letters WHERE id = ?');
  }

  async add(letter: DeadLetter): Promise<void> {
    const { id, subscriber, event, error, attempts, at } = letter;
    this.#add.run(id, subscriber, event.position, JSON.stringify(event), error, attempts, at);
  }

  async list(subscriber?: string, page?: DeadLetterPage): Promise<readonly DeadLetter[]> {
    checkDeadLetterList(subscriber, page);
    const after = page?.after;
    const statement = this.#pages[subscriber === undefined ? 0 : 1]![after === undefined ? 0 : 1]!;
    const params = [
      ...(subscriber === undefined ? [] : [subscriber]),
      ...(after === undefined ? [] : [after.at, after.id]),
      page?.limit ?? -1,
    ];
    return statement.all(...params).map(deadLetterFromRow);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const row = this.#get.get(id);
    return row === undefined ? undefined : deadLetterFromRow(row);
  }

  async remove(id: string): Promise<void> {
    this.#remove.run(id);
  }
}
