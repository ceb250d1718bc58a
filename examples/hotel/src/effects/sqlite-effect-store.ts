import Database from 'better-sqlite3';
import type { EffectStore, Effects } from './effect-store.js';

/** An {@link EffectStore} in a table of its own, `hotel_effects`, in an SQLite file (WAL). */
export class SqliteEffectStore implements EffectStore {
  readonly #db: Database.Database;
  readonly #put: Database.Statement;
  // Prepared once per filter shape: preparing a statement costs more than running it.
  readonly #lists = new Map<string, Database.Statement<unknown[], { record: string }>>();

  constructor(path: string) {
    this.#db = new Database(path, { timeout: 5000 });
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS hotel_effects (
      seq INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      id TEXT NOT NULL,
      at INTEGER NOT NULL,
      record TEXT NOT NULL,
      UNIQUE (kind, id)
    )`);
    this.#put = this.#db.prepare(
      `INSERT INTO hotel_effects (kind, id, at, record) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET at = excluded.at, record = excluded.record`,
    );
  }

  async put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void> {
    this.#put.run(kind, id, record.at, JSON.stringify(record));
  }

  async list<K extends keyof Effects>(kind: K, where: Partial<Effects[K]> = {}): Promise<Effects[K][]> {
    const keys: string[] = [];
    const values: unknown[] = [kind];
    for (const key of Object.keys(where) as (keyof Effects[K])[]) {
      const value = where[key];
      if (value === undefined) continue;
      keys.push(key as string);
      values.push(value);
    }
    const rows = this.#list(keys).all(...values);
    const records: Effects[K][] = [];
    for (const row of rows) records.push(JSON.parse(row.record) as Effects[K]);
    return records;
  }

  // Keyed by the filtered fields alone, so that a list of a known shape builds no SQL.
  #list(keys: readonly string[]): Database.Statement<unknown[], { record: string }> {
    const shape = keys.join(',');
    let statement = this.#lists.get(shape);
    if (statement === undefined) {
      for (const key of keys) {
        if (!/^\w+$/.test(key)) throw new TypeError(`Cannot filter effects on '${key}'`);
      }
      const filters = keys.map((key) => ` AND json_extract(record, '$.${key}') = ?`).join('');
      statement = this.#db.prepare<unknown[], { record: string }>(
        `SELECT record FROM hotel_effects WHERE kind = ?${filters} ORDER BY at DESC, seq DESC`,
      );
      this.#lists.set(shape, statement);
    }
    return statement;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
