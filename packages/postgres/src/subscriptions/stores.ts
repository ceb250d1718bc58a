import type { CheckpointStore, DeadLetter, DeadLetterStore, GlobalPosition } from '@twofold/core';
import { type DeadLetterRow, deadLetterFromRow } from '@twofold/core/adapters';
import { migrate } from '../connection/migrations.js';
import { Connection, type PostgresConnectionOptions, toNumber } from '../connection/pool.js';
import { subscriptionMigrations } from './schema.js';

async function connect(options: PostgresConnectionOptions, owner: string): Promise<Connection> {
  const db = new Connection(options, owner);
  try {
    await migrate(db, 'subscriptions', subscriptionMigrations);
    return db;
  } catch (error) {
    await db.end();
    throw error;
  }
}

/**
 * Subscribers' checkpoints in PostgreSQL, so that a side-effect handler resumes where it stopped, on whichever
 * node runs it next.
 *
 * @example
 * const checkpoints = await PostgresCheckpointStore.open({ connection: process.env.DATABASE_URL! });
 * new SubscriberRunner({ subscriber: confirmationEmails, feed: store, checkpoints, deadLetters }).start();
 */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly #db: Connection;

  private constructor(db: Connection) {
    this.#db = db;
  }

  static async open(options: PostgresConnectionOptions): Promise<PostgresCheckpointStore> {
    return new PostgresCheckpointStore(await connect(options, 'PostgresCheckpointStore'));
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

  /** Closes the pool (when the store made it). Closing twice is harmless. */
  async close(): Promise<void> {
    await this.#db.end();
  }
}

const COLUMNS = 'id, subscriber, event, error, attempts, at';

/**
 * Dead letters in PostgreSQL: events a subscriber gave up on, kept with the error until they are replayed or
 * discarded, visible from every node.
 *
 * @example
 * const deadLetters = await PostgresDeadLetterStore.open({ connection: process.env.DATABASE_URL! });
 * for (const letter of await deadLetters.list('billing.refunds')) console.log(letter.event.position, letter.error);
 */
export class PostgresDeadLetterStore implements DeadLetterStore {
  readonly #db: Connection;

  private constructor(db: Connection) {
    this.#db = db;
  }

  static async open(options: PostgresConnectionOptions): Promise<PostgresDeadLetterStore> {
    return new PostgresDeadLetterStore(await connect(options, 'PostgresDeadLetterStore'));
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

  async list(subscriber?: string): Promise<readonly DeadLetter[]> {
    const { rows } =
      subscriber === undefined
        ? await this.#db.query<DeadLetterRow>(`SELECT ${COLUMNS} FROM twofold_dead_letters ORDER BY at, position`)
        : await this.#db.query<DeadLetterRow>(
            `SELECT ${COLUMNS} FROM twofold_dead_letters WHERE subscriber = $1 ORDER BY at, position`,
            [subscriber],
          );
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

  /** Closes the pool (when the store made it). Closing twice is harmless. */
  async close(): Promise<void> {
    await this.#db.end();
  }
}
