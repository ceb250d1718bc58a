import { afterEach, describe, expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import { type GlobalPosition, START } from '../positions/position.js';
import type { ProjectionSlot, ProjectionStore } from '../projections/ports.js';

/** Names a table of one projection slot, quoted for SQL, as a table store's `define` and `query` give it. */
export type ContractTableName = (name: string) => string;

/**
 * A read store for projections in plain SQL, as the contract drives it: handlers get the database's transaction
 * (`Tx`), each projection declares its tables with `define`, and `query` reads the active version through
 * `Reader` (the connection, or a query function).
 */
export interface TableStoreUnderTest<Tx, Reader> extends ProjectionStore<Tx> {
  /** Declares a projection's tables: `schema` creates them in each new version's slot. */
  define(projection: string, schema: (tx: Tx, table: ContractTableName, slot: ProjectionSlot) => unknown): void;
  /** Runs `read` on the active version of a projection's tables and returns what it returns. */
  query(projection: string, read: (reader: Reader, table: ContractTableName) => unknown): unknown;
}

/** A fresh, empty table store and the SQL of its dialect that the contract needs. */
export interface TableStoreHarness<Tx, Reader> {
  readonly store: TableStoreUnderTest<Tx, Reader>;
  /** The quoted name of a table of `slot`, as handlers write it (the adapter's `slotTable`). */
  slotTable(slot: ProjectionSlot, name: string): string;
  /** Creates `table` (a quoted name) with one text column, `value`, its primary key. */
  createTable(tx: Tx, table: string): unknown;
  /** Inserts a row into `table` inside a batch. */
  insert(tx: Tx, table: string, value: string): unknown;
  /** Every `value` of `table`, sorted, through what `query` gives. */
  values(reader: Reader, table: string): string[] | Promise<string[]>;
  /** The names (unquoted) of the tables that exist for any version of `projection`, sorted. */
  tables(projection: string): string[] | Promise<string[]>;
  /** Lets go of the store after the test. */
  close?(): void | Promise<void>;
}

/** Makes a {@link TableStoreHarness} for one test. */
export type TableStoreFactory<Tx, Reader> = () =>
  | TableStoreHarness<Tx, Reader>
  | Promise<TableStoreHarness<Tx, Reader>>;

const at = (n: number) => n as GlobalPosition;

// Runs the steps in order, synchronously for as long as they return no promise: a batch on a synchronous store
// (SQLite) must not await, one on an asynchronous store (PostgreSQL) must.
function inOrder(steps: readonly (() => unknown)[]): void | Promise<void> {
  for (let i = 0; i < steps.length; i++) {
    const result = steps[i]!();
    if (result instanceof Promise) return result.then(() => inOrder(steps.slice(i + 1)));
  }
}

/**
 * The read-store contract for table stores (projections in plain SQL): rows and checkpoint in one transaction,
 * each version in tables of its own, activation dropping the others. An adapter's test file calls it once.
 *
 * @example
 * tableStoreContract('sqlite', () => {
 *   const db = sqlite(':memory:');
 *   return {
 *     store: db.tables,
 *     slotTable,
 *     createTable: (tx, table) => tx.exec(`CREATE TABLE ${table} (value TEXT PRIMARY KEY)`),
 *     insert: (tx, table, value) => tx.prepare(`INSERT INTO ${table} VALUES (?)`).run(value),
 *     values: (tx, table) => tx.prepare(`SELECT value FROM ${table} ORDER BY value`).pluck().all(),
 *     tables: (projection) => db.connection.prepare("SELECT name FROM sqlite_schema WHERE name LIKE ? ORDER BY name").pluck().all(`${projection}@%`),
 *     close: () => db.close(),
 *   };
 * });
 */
export function tableStoreContract<Tx, Reader>(name: string, factory: TableStoreFactory<Tx, Reader>): void {
  describe(`${name}: table store contract`, () => {
    const closers: (() => void | Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
    });
    const open = async (): Promise<TableStoreHarness<Tx, Reader>> => {
      const harness = await factory();
      if (harness.close !== undefined) closers.push(() => harness.close?.());
      harness.store.define('nights', (tx, table) => harness.createTable(tx, table('booked')));
      return harness;
    };
    const v1 = { projection: 'nights', version: 1 };
    const v2 = { projection: 'nights', version: 2 };
    const booked = async (harness: TableStoreHarness<Tx, Reader>) =>
      await harness.store.query('nights', (reader, table) => harness.values(reader, table('booked')));

    it('reads nothing before a version is active: NOT_FOUND', async () => {
      const harness = await open();
      const error = await Promise.resolve()
        .then(() => booked(harness))
        .catch((e: unknown) => e);
      expect(isTwofoldError(error, 'NOT_FOUND')).toBe(true);
      await harness.store.activate(v1);
      expect(await booked(harness)).toEqual([]);
    });

    it('moves the checkpoint with the rows; a stale batch or a failing one changes nothing', async () => {
      const harness = await open();
      const { store } = harness;
      await store.activate(v1);
      const table = harness.slotTable(v1, 'booked');
      await store.commit(v1, START, at(2), (tx) =>
        inOrder([() => harness.insert(tx, table, 'a'), () => harness.insert(tx, table, 'b')]),
      );
      expect(await booked(harness)).toEqual(['a', 'b']);
      expect(await store.checkpoint(v1)).toBe(2);

      const stale = await store.commit(v1, START, at(3), () => {}).catch((e: unknown) => e);
      expect(isTwofoldError(stale, 'CONCURRENCY_CONFLICT')).toBe(true);
      await expect(
        store.commit(v1, at(2), at(3), (tx) =>
          inOrder([() => harness.insert(tx, table, 'c'), () => harness.insert(tx, table, 'a')]),
        ),
      ).rejects.toThrow();
      expect(await booked(harness)).toEqual(['a', 'b']);
      expect(await store.checkpoint(v1)).toBe(2);
    });

    it('keeps each version in tables of its own, and drops the others when one is activated', async () => {
      const harness = await open();
      const { store } = harness;
      await store.commit(v1, START, at(1), (tx) =>
        inOrder([() => harness.insert(tx, harness.slotTable(v1, 'booked'), 'old')]),
      );
      await store.activate(v1);
      await store.commit(v2, START, at(1), (tx) =>
        inOrder([() => harness.insert(tx, harness.slotTable(v2, 'booked'), 'new')]),
      );
      expect(await booked(harness)).toEqual(['old']);
      expect(await harness.tables('nights')).toEqual(['nights@1.booked', 'nights@2.booked']);
      await store.activate(v2);
      expect(await booked(harness)).toEqual(['new']);
      expect(await harness.tables('nights')).toEqual(['nights@2.booked']);
      expect(await store.activeVersion('nights')).toBe(2);
    });

    it('refuses a second definition of a projection', async () => {
      const harness = await open();
      expect(() => harness.store.define('nights', () => {})).toThrow(/already defined/);
    });
  });
}
