import type pg from 'pg';
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

// Each filter is a real column with an index that ends in `seq`: a page is a range read of that index from the
// cursor down, never a scan of the table nor a sort. Tables from before the columns existed get them, filled in.
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS hotel_effects (
    seq bigserial PRIMARY KEY,
    kind text NOT NULL,
    id text NOT NULL,
    at bigint NOT NULL,
    record jsonb NOT NULL,
    UNIQUE (kind, id)
  )`,
  'ALTER TABLE hotel_effects ADD COLUMN IF NOT EXISTS booking_id text, ADD COLUMN IF NOT EXISTS guest_id text',
  `UPDATE hotel_effects SET booking_id = record->>'bookingId', guest_id = coalesce(record->>'guestId', record->>'to')
   WHERE booking_id IS NULL`,
  'CREATE INDEX IF NOT EXISTS hotel_effects_by_kind ON hotel_effects (kind, seq)',
  'CREATE INDEX IF NOT EXISTS hotel_effects_by_booking ON hotel_effects (kind, booking_id, seq)',
  'CREATE INDEX IF NOT EXISTS hotel_effects_by_guest ON hotel_effects (kind, guest_id, seq)',
];

const LISTS = {
  all: 'WHERE kind = $1 AND seq < $2',
  bookingId: 'WHERE kind = $1 AND seq < $2 AND booking_id = $4',
  guestId: 'WHERE kind = $1 AND seq < $2 AND guest_id = $4',
} as const;
const list = (where: string) => `SELECT seq, record FROM hotel_effects ${where} ORDER BY seq DESC LIMIT $3`;

/**
 * An {@link EffectStore} in a table of its own, `hotel_effects`, on the pool of the hotel's PostgreSQL handle (so
 * in its schema): it opens no connection of its own, and the handle's `close()` ends its pool.
 */
export class PostgresEffectStore implements EffectStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Creates the table and its indexes when they are missing, on `pool` (a database handle's `pool`). */
  static async open(pool: pg.Pool): Promise<PostgresEffectStore> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Several hotel processes may open the store at once: they take turns, as the library's migrations do.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('hotel_effects'))");
      for (const statement of SCHEMA) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    return new PostgresEffectStore(pool);
  }

  async put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void> {
    const { bookingId, guestId } = effectKeys(record);
    await this.#pool.query(
      `INSERT INTO hotel_effects (kind, id, at, record, booking_id, guest_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (kind, id) DO UPDATE SET at = excluded.at, record = excluded.record`,
      [kind, id, record.at, JSON.stringify(record), bookingId, guestId],
    );
  }

  async list<K extends keyof Effects>(kind: K, filter: EffectFilter, page: PageRequest): Promise<Page<Effects[K]>> {
    const before = cursorSeq(page.before) ?? Number.MAX_SAFE_INTEGER;
    const [where, value] =
      filter.bookingId !== undefined
        ? [LISTS.bookingId, [filter.bookingId]]
        : filter.guestId !== undefined
          ? [LISTS.guestId, [filter.guestId]]
          : [LISTS.all, []];
    const { rows } = await this.#pool.query<{ seq: string; record: Effects[K] }>(list(where), [
      kind,
      before,
      page.limit + 1,
      ...value,
    ]);
    return pageOf(
      rows.map((row) => ({ seq: Number(row.seq), record: row.record })),
      page.limit,
    );
  }

  /**
   * How PostgreSQL plans each kind of list, by filter, with sequential scans switched off as on a large table:
   * what a test checks reads an index and sorts nothing.
   */
  async plans(): Promise<Record<keyof typeof LISTS, string[]>> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = async (where: string, ...values: unknown[]) =>
        (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${list(where)}`, ['mails', 1, 1, ...values])).rows.map(
          (row) => row['QUERY PLAN'],
        );
      const plans = {
        all: await plan(LISTS.all),
        bookingId: await plan(LISTS.bookingId, 'b1'),
        guestId: await plan(LISTS.guestId, 'ada'),
      };
      await client.query('ROLLBACK');
      return plans;
    } finally {
      client.release();
    }
  }
}
