import type { CheckpointStore, DeadLetter, DeadLetterPage, DeadLetterStore, GlobalPosition } from '@twofold/core';
import { checkDeadLetterList, type DeadLetterRow, deadLetterFromRow } from '@twofold/core/adapters';
import { type SchemaPool, toNumber } from '../connection/schema-pool.js';

/**
 * Subscribers' checkpoints in PostgreSQL, so that a side-effect handler resumes where it stopped, on whichever
 * node runs it next.
 *
 * It is the `checkpoints` of a database handle:
 *
 * @example
 * const { events, checkpoints, deadLetters } = await postgres({ connection: process.env.DATABASE_URL! });
 * new SubscriberRunner({ subscriber: confirmationEmails, feed: events, checkpoints, deadLetters }).start();
 */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly #db: SchemaPool;

  /** The store on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool) {
    this.#db = db;
  }

  async get(name: string): Promise<GlobalPosition> {
    const { rows } = await this.#db.query<{ position: string }>(
      'SELECT position FROM twofold_checkpoints WHERE name = $1',
      [name],
    );
    return toNumber(rows[0]?.position) as GlobalPosition;
  }

  async set(name: string, position: GlobalPosition): Promise<void> {
    await this.#db.query(
      `INSERT INTO twofold_checkpoints (name, position) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()`,
      [name, position],
    );
  }
}

const COLUMNS = 'id, subscriber, event, error, attempts, at';

/**
 * A page's query and its parameters: it reads an index (subscriber, at, id) or (at, id) in its order and stops at
 * the limit (none for NULL). The column's collation, "C", compares ids code point by code point.
 */
export function pageQuery(subscriber: string | undefined, page: DeadLetterPage | undefined): [string, unknown[]] {
  const params: unknown[] = [];
  const where: string[] = [];
  if (subscriber !== undefined) where.push(`subscriber = $${params.push(subscriber)}`);
  if (page?.after !== undefined) {
    where.push(`(at, id) > ($${params.push(page.after.at)}, $${params.push(page.after.id)})`);
  }
  const sql = `SELECT ${COLUMNS} FROM twofold_dead_letters ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
    ORDER BY at, id LIMIT $${params.push(page?.limit ?? null)}`;
  return [sql, params];
}

/**
 * Dead letters in PostgreSQL: events a subscriber gave up on, kept with the error until they are replayed or
 * discarded, visible from every node.
 *
 * It is the `deadLetters` of a database handle:
 *
 * @example
 * const { deadLetters } = await postgres({ connection: process.env.DATABASE_URL! });
 * for (const letter of await deadLetters.list('billing.refunds', { limit: 50 })) console.log(letter.id, letter.error);
 */
export class PostgresDeadLetterStore implements DeadLetterStore {
  readonly #db: SchemaPool;

  /** The store on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool) {
    this.#db = db;
  }

  async add(letter: DeadLetter): Promise<void> {
    const { id, subscriber, event, error, attempts, at } = letter;
    await this.#db.query(
      `INSERT INTO twofold_dead_letters (id, subscriber, position, event, error, attempts, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET subscriber = excluded.subscriber, position = excluded.position,
         event = excluded.event, error = excluded.error, attempts = excluded.attempts, at = excluded.at`,
      [id, subscriber, event.position, JSON.stringify(event), error, attempts, at],
    );
  }

  async list(subscriber?: string, page?: DeadLetterPage): Promise<readonly DeadLetter[]> {
    checkDeadLetterList(subscriber, page);
    const { rows } = await this.#db.query<DeadLetterRow>(...pageQuery(subscriber, page));
    return rows.map(deadLetterFromRow);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const { rows } = await this.#db.query<DeadLetterRow>(`SELECT ${COLUMNS} FROM twofold_dead_letters WHERE id = $1`, [
      id,
    ]);
    return rows[0] === undefined ? undefined : deadLetterFromRow(rows[0]);
  }

  async remove(id: string): Promise<void> {
    await this.#db.query('DELETE FROM twofold_dead_letters WHERE id = $1', [id]);
  }
}
