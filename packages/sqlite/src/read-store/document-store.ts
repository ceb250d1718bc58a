import {
  type DocumentCollection,
  type DocumentIndex,
  type DocumentReader,
  type DocumentTx,
  type GlobalPosition,
  InvalidArgumentError,
  type ProjectionSlot,
  type WritableCollection,
} from '@twofold/core';
import { documentIndex, type ProjectionRef, projectionName } from '@twofold/core/adapters';
import { inTransaction, type SqliteConnection } from '../connection/open.js';
import { ActiveCollections } from './active-collections.js';
import { checkIndexFields } from './document-query.js';
import { DocumentTables, documentTable } from './document-tables.js';
import { VersionedReadStore } from './versioned-read-store.js';

/**
 * The SQLite document read store: each projection keeps collections of JSON documents (one table per collection
 * and version), its checkpoint moves in the same transaction as its documents, and a rebuilt version is swapped
 * in atomically. `find` and `count` filter on top-level fields with SQLite's JSON operators; declare an index
 * with {@link SqliteDocumentStore.index} for the fields a query filters on.
 *
 * By default it keeps its own file, apart from the write store's. Open it on the write store's file to apply
 * projections inline (in the command's transaction).
 *
 * @example
 * const views = new SqliteDocumentStore({ path: 'data/hotel-read.db' });
 * views.index(bookingsView, 'bookings', ['roomId']);
 * const runner = new ProjectionRunner({ projection: bookingsView, store: views, feed: store });
 * runner.start();
 * mediator.query(RoomBookings, ({ roomId }) => views.read(bookingsView).collection<Booking>('bookings').find({ roomId }));
 */
export class SqliteDocumentStore extends VersionedReadStore<DocumentTx> {
  readonly #tables: DocumentTables;
  readonly #active: ActiveCollections;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    super(db, 'SqliteDocumentStore');
    this.#tables = new DocumentTables(db);
    this.#active = new ActiveCollections(db, this.#tables, this.slots);
  }

  /**
   * Declares an index on top-level fields of a collection, for every version of the projection (existing and
   * future), so that `find` and `count` by those fields need not scan. With `orderBy`, the index also orders the
   * documents matching those fields by that field (then id), so that a page ordered by it (`page`, or `find` with
   * a limit) reads only its own documents, however many match. Declaring it again is harmless.
   *
   * @example
   * views.index('bookings', 'bookings', ['roomId', 'from']);
   * views.index('bookings', 'bookings', { fields: ['guestId'], orderBy: 'bookedAt' });
   */
  index(projection: ProjectionRef, collection: string, fields: DocumentIndex): void {
    const name = projectionName(projection);
    const where = `SqliteDocumentStore.index('${name}', '${collection}')`;
    const spec = documentIndex(fields, where);
    if (spec.fields.length > 0) checkIndexFields(spec.fields, where);
    const stored = spec.orderBy === undefined ? spec.fields : { fields: spec.fields, orderBy: spec.orderBy };
    const tables = this.#tables;
    inTransaction(
      this.db,
      () => {
        this.db
          .prepare(
            'INSERT INTO twofold_document_indexes (projection, collection, fields) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          )
          .run(name, collection, JSON.stringify(stored));
        for (const version of tables.versionsWith(name, collection)) {
          tables.createIndex(documentTable({ projection: name, version }, collection), stored);
        }
      },
      'SqliteDocumentStore.index()',
    );
  }

  /**
   * The collections of a projection's active version, for query handlers: what has been committed, never a
   * transaction in progress. Empty before the projection's first version is activated.
   */
  read(projection: ProjectionRef): DocumentReader {
    const name = projectionName(projection);
    return {
      collection: <T>(collection: string) => this.#active.collection(name, collection) as DocumentCollection<T>,
    };
  }

  override async activate(slot: ProjectionSlot): Promise<void> {
    try {
      await super.activate(slot);
    } finally {
      this.#active.forget();
    }
  }

  /**
   * Applies a batch: the projection's handlers see the committed documents overlaid with their own writes, which
   * are held back and written, with the checkpoint, in one transaction at the end. So handlers may await (the
   * same projection can run on PostgreSQL or Redis), and reads return plain values here either way.
   */
  override async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: DocumentTx) => void | Promise<void>,
  ): Promise<void> {
    const tables = this.#tables;
    const staged = new Map<string, Map<string, unknown>>();
    // A handler asks for its collection on every event: look each up once per batch.
    const opened = new Map<string, WritableCollection<unknown>>();
    const handle: DocumentTx = {
      collection: <T>(name: string) => {
        let found = opened.get(name);
        if (found === undefined) {
          if (typeof name !== 'string' || name.length === 0) {
            throw new InvalidArgumentError('A collection name must be a non-empty string');
          }
          const writes = new Map<string, unknown>();
          staged.set(name, writes);
          const table = tables.exists(slot, name) ? documentTable(slot, name) : undefined;
          found = tables.staged<unknown>(table, writes, name);
          opened.set(name, found);
        }
        return found as WritableCollection<T>;
      },
    };
    const done = work(handle);
    if (done instanceof Promise) await done;
    this.transact({
      slot,
      from,
      to,
      work: () => {
        for (const [name, writes] of staged) {
          if (writes.size === 0) continue;
          tables.ensure(slot, name);
          tables.apply(documentTable(slot, name), writes);
        }
      },
    });
  }

  protected override createSlot(): void {
    // Collections are created as they are first written.
  }

  protected override dropSlot(_: SqliteConnection, slot: ProjectionSlot): void {
    this.#tables.drop(slot);
  }

  protected override handle(_: SqliteConnection, slot: ProjectionSlot): DocumentTx {
    const tables = this.#tables;
    const opened = new Map<string, WritableCollection<unknown>>();
    return {
      collection: <T>(name: string) => {
        let found = opened.get(name);
        if (found === undefined) {
          tables.ensure(slot, name);
          found = tables.write<unknown>(documentTable(slot, name));
          opened.set(name, found);
        }
        return found as WritableCollection<T>;
      },
    };
  }
}
