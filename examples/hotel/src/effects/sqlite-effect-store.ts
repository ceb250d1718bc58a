import type { SqliteConnection, SqliteStatement as Statement } from '@twofold/sqlite';
import {
  cursorSeq,
  type EffectFilter,
  type EffectStore,
  type Effects,
  effectKeys,
  type Page,
  type PageRequest,
  pageOf,
} from './effect-store.js';

type Row = { seq: number; record: string };
type Lists = 'all' | 'bookingId' | 'guestId';

// Each filter is a real column with an index that ends, implicitly, in the rowid `seq`: a page is a range read
// of that index from the cursor down, never a scan of the table nor a sort.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS hotel_effects (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    at INTEGER NOT NULL,
    record TEXT NOT NULL,
    UNIQUE (kind, id)
  );`;
const INDEXES = `
  CREATE INDEX IF NOT EXISTS hotel_effects_by_kind ON hotel_effects (kind);
  CREATE INDEX IF NOT EXISTS hotel_effects_by_booking ON hotel_effects (kind, booking_id);
  CREATE INDEX IF NOT EXISTS hotel_effects_by_guest ON hotel_effects (kind, guest_id);`;

/**
 * An {@link EffectStore} in a table of its own, `hotel_effects`, on the connection of an SQLite handle (`sqlite(path)`,
 * which also closes it).
 */
export class SqliteEffectStore implements EffectStore {
  readonly #db: SqliteConnection;
  readonly #put: Statement;
  readonly #lists: Record<Lists, Statement<unknown[], Row>>;
  readonly #sql: Record<Lists, string>;

  constructor(db: SqliteConnection) {
    this.#db = db;
    this.#db
      .transaction(() => {
        this.#db.exec(SCHEMA);
        addColumns(this.#db);
        this.#db.exec(INDEXES);
      })
      .immediate();
    this.#put = this.#db.prepare(
      `INSERT INTO hotel_effects (kind, id, at, record, booking_id, guest_id) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, id) DO UPDATE SET at = excluded.at, record = excluded.record`,
    );
    // INDEXED BY: the plan cannot drift to another index (the rowid, or the kind alone) as the table grows.
    const page = (index: string, filter: string) => `SELECT seq, record FROM hotel_effects INDEXED BY ${index}
         WHERE kind = ?${filter} AND seq < ? ORDER BY seq DESC LIMIT ?`;
    this.#sql = {
      all: page('hotel_effects_by_kind', ''),
      bookingId: page('hotel_effects_by_booking', ' AND booking_id = ?'),
      guestId: page('hotel_effects_by_guest', ' AND guest_id = ?'),
    };
    this.#lists = {
      all: this.#db.prepare<unknown[], Row>(this.#sql.all),
      bookingId: this.#db.prepare<unknown[], Row>(this.#sql.bookingId),
      guestId: this.#db.prepare<unknown[], Row>(this.#sql.guestId),
    };
  }

  async put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void> {
    const { bookingId, guestId } = effectKeys(record);
    this.#put.run(kind, id, record.at, JSON.stringify(record), bookingId, guestId);
  }

  async list<K extends keyof Effects>(kind: K, filter: EffectFilter, page: PageRequest): Promise<Page<Effects[K]>> {
    const before = cursorSeq(page.before) ?? Number.MAX_SAFE_INTEGER;
    const rows =
      filter.bookingId !== undefined
        ? this.#lists.bookingId.all(kind, filter.bookingId, before, page.limit + 1)
        : filter.guestId !== undefined
          ? this.#lists.guestId.all(kind, filter.guestId, before, page.limit + 1)
          : this.#lists.all.all(kind, before, page.limit + 1);
    return pageOf(
      rows.map((row) => ({ seq: row.seq, record: JSON.parse(row.record) as Effects[K] })),
      page.limit,
    );
  }

  /** How SQLite plans each kind of list, by filter: what a test checks reads an index and sorts nothing. */
  plans(): Record<Lists, string[]> {
    const plan = (sql: string, ...values: unknown[]) =>
      this.#db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...values)
        .map((row) => row.detail);
    return {
      all: plan(this.#sql.all, 'alerts', 1, 1),
      bookingId: plan(this.#sql.bookingId, 'mails', 'b1', 1, 1),
      guestId: plan(this.#sql.guestId, 'mails', 'ada', 1, 1),
    };
  }
}

// Files from before the filters had columns: add them, filled from the records.
function addColumns(db: SqliteConnection): void {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('hotel_effects')").all();
  if (columns.some((column) => column.name === 'booking_id')) return;
  db.exec(`
    ALTER TABLE hotel_effects ADD COLUMN booking_id TEXT;
    ALTER TABLE hotel_effects ADD COLUMN guest_id TEXT;
    UPDATE hotel_effects SET booking_id = json_extract(record, '$.bookingId'),
      guest_id = coalesce(json_extract(record, '$.guestId'), json_extract(record, '$.to'));`);
}
