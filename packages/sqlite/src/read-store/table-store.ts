import { InvalidArgumentError, NotFoundError, type ProjectionSlot } from '@twofold/core';
import { type ProjectionRef, projectionName } from '@twofold/core/adapters';
import { quoteIdentifier, refusePromise, type SqliteConnection } from '../connection/open.js';
import { VersionedReadStore } from './versioned-read-store.js';

/** Names a table of one projection slot, e.g. `table('nights')` → `"roomNights@1.nights"` (quoted, safe in SQL). */
export type SlotTableName = (name: string) => string;

/** Creates a slot's tables; see {@link SqliteTableStore.define}. */
export type SlotSchema = (db: SqliteConnection, table: SlotTableName, slot: ProjectionSlot) => void;

/**
 * The quoted name of a table of one projection version, for the SQL of its handlers: each version has its own
 * tables, so a rebuild fills new ones while queries read the old.
 *
 * @example
 * const NIGHTS = slotTable({ projection: 'roomNights', version: 1 }, 'nights'); // "roomNights@1.nights"
 * const roomNights = projection<SqliteConnection>('roomNights', 1)
 *   .on(RoomBooked, ({ roomId, night }, db) => db.prepare(`INSERT INTO ${NIGHTS} VALUES (?, ?)`).run(roomId, night));
 */
export function slotTable(slot: ProjectionSlot, name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('slotTable(): the table name must be a non-empty string');
  }
  return quoteIdentifier(`${slot.projection}@${slot.version}.${name}`);
}

/**
 * A read store for projections written in plain SQL, `sqlite(…).tables`: handlers get the connection inside the
 * transaction that also moves their checkpoint. Declare each projection's tables with `define`; they are
 * created per version, and activating a version drops the tables of the others.
 *
 * @example
 * const { tables, events: store } = sqlite('data/hotel.db');
 * tables.define('roomNights', (db, table) =>
 *   db.exec(`CREATE TABLE ${table('nights')} (room_id TEXT, night TEXT, PRIMARY KEY (room_id, night))`));
 * new ProjectionRunner({ projection: roomNights, store: tables, feed: store }).start();
 * const booked = tables.query('roomNights', (db, table) =>
 *   db.prepare(`SELECT night FROM ${table('nights')} WHERE room_id = ?`).pluck().all(roomId));
 */
export class SqliteTableStore extends VersionedReadStore<SqliteConnection> {
  readonly #schemas = new Map<string, SlotSchema>();

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    super(db, 'SqliteTableStore');
  }

  /**
   * Declares how to create a projection's tables. It runs, in the writing transaction, when a version of the
   * projection is first written or activated; name every table with `table(name)` so that it is dropped with
   * its version.
   */
  define(projection: ProjectionRef, schema: SlotSchema): void {
    const name = projectionName(projection);
    if (typeof schema !== 'function') {
      throw new InvalidArgumentError(`SqliteTableStore.define('${name}'): the schema must be a function`);
    }
    if (this.#schemas.has(name)) {
      throw new InvalidArgumentError(`SqliteTableStore.define('${name}'): the projection is already defined`);
    }
    this.#schemas.set(name, schema);
  }

  /**
   * Runs a read against the active version of a projection: `table(name)` names its tables. Fails with
   * NOT_FOUND before any version is active.
   */
  query<R>(projection: ProjectionRef, read: (db: SqliteConnection, table: SlotTableName) => R): R {
    const name = projectionName(projection);
    const version = this.slots.activeVersion(name);
    if (version === undefined) {
      throw new NotFoundError(`SqliteTableStore: projection ${name} has no active version yet`);
    }
    const slot = { projection: name, version };
    return read(this.db, (table) => slotTable(slot, table));
  }

  protected override createSlot(db: SqliteConnection, slot: ProjectionSlot): void {
    const schema = this.#schemas.get(slot.projection);
    if (schema === undefined) return;
    const record = db.prepare(
      'INSERT INTO twofold_projection_tables (projection, version, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const table: SlotTableName = (name) => {
      const quoted = slotTable(slot, name);
      record.run(slot.projection, slot.version, name);
      return quoted;
    };
    refusePromise(schema(db, table, slot), `The schema of projection ${slot.projection}`);
  }

  protected override dropSlot(db: SqliteConnection, slot: ProjectionSlot): void {
    const names = db
      .prepare<[string, number], string>(
        'SELECT name FROM twofold_projection_tables WHERE projection = ? AND version = ?',
      )
      .pluck()
      .all(slot.projection, slot.version);
    for (const name of names) db.exec(`DROP TABLE IF EXISTS ${slotTable(slot, name)}`);
    db.prepare('DELETE FROM twofold_projection_tables WHERE projection = ? AND version = ?').run(
      slot.projection,
      slot.version,
    );
  }

  protected override projectionTx(db: SqliteConnection): SqliteConnection {
    return db;
  }
}
