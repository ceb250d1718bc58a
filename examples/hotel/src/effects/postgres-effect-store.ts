import pg from 'pg';
import type { EffectStore, Effects } from './effect-store.js';

/** An {@link EffectStore} in a table of its own, `hotel_effects`, in a PostgreSQL schema. */
export class PostgresEffectStore implements EffectStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects and creates the table when it is missing. */
  static async open(url: string, schema: string): Promise<PostgresEffectStore> {
    const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 4 });
    pool.on('error', () => {});
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS hotel_effects (
        seq bigserial PRIMARY KEY,
        kind text NOT NULL,
        id text NOT NULL,
        at bigint NOT NULL,
        record jsonb NOT NULL,
        UNIQUE (kind, id)
      )`);
      return new PostgresEffectStore(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void> {
    await this.#pool.query(
      `INSERT INTO hotel_effects (kind, id, at, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, id) DO UPDATE SET at = excluded.at, record = excluded.record`,
      [kind, id, record.at, JSON.stringify(record)],
    );
  }

  async list<K extends keyof Effects>(kind: K, where: Partial<Effects[K]> = {}): Promise<Effects[K][]> {
    const fields = Object.fromEntries(Object.entries(where).filter(([, value]) => value !== undefined));
    const { rows } = await this.#pool.query<{ record: Effects[K] }>(
      'SELECT record FROM hotel_effects WHERE kind = $1 AND record @> $2::jsonb ORDER BY at DESC, seq DESC',
      [kind, JSON.stringify(fields)],
    );
    return rows.map((row) => row.record);
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }
}
