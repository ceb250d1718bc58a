import { InvalidArgumentError, NotFoundError, type ProjectionSlot } from '@twofold/core';
import type { PostgresClient, SchemaPool } from '../connection/schema-pool.js';
import { type ProjectionRef, projectionName, VersionedReadStore } from './versioned-read-store.js';

const UNDEFINED_TABLE = '42P01';

/** Names a table of one projection slot, e.g. `table('nights')` → `"roomNights@1.nights"` (quoted, safe in SQL). */
export type SlotTableName = (name: string) => string;

/** Creates a slot's tables; see {@link PostgresTableStore.define}. */
export type SlotSchema = (tx: PostgresClient, table: SlotTableName, slot: ProjectionSlot) => Promise<unknown>;

/**
 * The quoted name of a table of one projection version, for the SQL of its handlers: each version has its own
 * tables, so a rebuild fills new ones while queries read the old.
 *
 * @example
 * const roomNights = projection<PostgresClient>('roomNights', 1)
 *   .on(RoomBooked, (e, tx) => tx.query(`INSERT INTO ${slotTable(roomNights, 'nights')} VALUES ($1, $2)`, [e.roomId, e.night]));
 */
export function slotTable(slot: ProjectionSlot, name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('slotTable(): the table name must be a non-empty string');
  }
  const identifier = `${slot.projection}@${slot.version}.${name}`;
  if (Buffer.byteLength(identifier) > 63) {
    throw new InvalidArgumentError(
      `slotTable(): "${identifier}" is longer than PostgreSQL's 63-byte names: shorten the projection or table name`,
    );
  }
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * A read store for projections written in plain SQL: handlers get the transaction's client, in the transaction
 * that also moves their checkpoint. Declare each projection's tables with `define`; they are created per
 * version, and activating a version drops the tables of the others.
 *
 * It is the `tables` of a database handle:
 *
 * @example
 * const { tables, events } = await postgres({ connection: process.env.DATABASE_URL! });
 * tables.define('roomNights', (tx, table) =>
 *   tx.query(`CREATE TABLE ${table('nights')} (room_id text, night date, PRIMARY KEY (room_id, night))`));
 * new ProjectionRunner({ projection: roomNights, store: tables, feed: events }).start();
 * const booked = await tables.query('roomNights', (sql, table) =>
 *   sql(`SELECT night FROM ${table('nights')} WHERE room_id = $1`, [roomId]));
 */
export class PostgresTableStore extends VersionedReadStore<PostgresClient> {
  readonly #schemas = new Map<string, SlotSchema>();

  /** The store on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool) {
    super(db, 'PostgresTableStore');
  }

  /**
   * Declares how to create a projection's tables. It runs, in the writing transaction, when a version of the
   * projection is first written; name every table with `table(name)` so that it is dropped with its version.
   */
  define(projection: ProjectionRef, schema: SlotSchema): void {
    const name = projectionName(projection);
    if (typeof schema !== 'function') {
      throw new InvalidArgumentError(`PostgresTableStore.define('${name}'): the schema must be a function`);
    }
    if (this.#schemas.has(name)) {
      throw new InvalidArgumentError(`PostgresTableStore.define('${name}'): the projection is already defined`);
    }
    this.#schemas.set(name, schema);
  }

  /**
   * Runs a read against the active version of a projection: `table(name)` names its tables, `sql` runs a
   * statement and resolves with its rows. Fails with NOT_FOUND before any version is active.
   */
  async query<R>(
    projection: ProjectionRef,
    read: (
      sql: <Row = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<Row[]>,
      table: SlotTableName,
    ) => R | Promise<R>,
  ): Promise<R> {
    const name = projectionName(projection);
    const sql = async <Row>(text: string, values: unknown[] = []) =>
      (await this.db.query(text, values, 'nothing was written', false)).rows as Row[];
    for (let attempt = 1; ; attempt++) {
      const version = await this.activeVersion(name);
      if (version === undefined) {
        throw new NotFoundError(`PostgresTableStore: projection ${name} has no active version yet`);
      }
      const slot = { projection: name, version };
      try {
        return await read(sql, (table) => slotTable(slot, table));
      } catch (error) {
        // Another node activated a new version, and dropped this one's tables, between the lookup and the read:
        // read again from the version now active.
        const dropped = (error as { code?: unknown } | null)?.code === UNDEFINED_TABLE;
        if (!dropped || attempt >= 3 || (await this.activeVersion(name)) === version) throw error;
      }
    }
  }

  protected override async createSlot(tx: PostgresClient, slot: ProjectionSlot): Promise<void> {
    const schema = this.#schemas.get(slot.projection);
    if (schema === undefined) return;
    const names: string[] = [];
    await schema(
      tx,
      (name) => {
        names.push(name);
        return slotTable(slot, name);
      },
      slot,
    );
    for (const name of new Set(names)) {
      await tx.query(
        'INSERT INTO twofold_projection_tables (projection, version, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [slot.projection, slot.version, name],
      );
    }
  }

  protected override async dropSlot(tx: PostgresClient, slot: ProjectionSlot): Promise<void> {
    const { rows } = await tx.query<{ name: string }>(
      'DELETE FROM twofold_projection_tables WHERE projection = $1 AND version = $2 RETURNING name',
      [slot.projection, slot.version],
    );
    for (const { name } of rows) await tx.query(`DROP TABLE IF EXISTS ${slotTable(slot, name)}`);
  }

  protected override projectionTx(tx: PostgresClient): PostgresClient {
    return tx;
  }

  protected override async settle(): Promise<void> {}
}
