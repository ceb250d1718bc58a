import {
  type DocumentIndex,
  type DocumentReader,
  type DocumentStore,
  type DocumentTx,
  type GlobalPosition,
  type InlineDocumentTx,
  InvalidArgumentError,
  type ProjectionSlot,
  type WritableCollection,
} from '@twofold/core';
import {
  documentIndex,
  type ProjectionRef,
  projectionName,
  promisedCollection,
  type SyncDocumentCollection,
} from '@twofold/core/adapters';
import { inTransaction, type SqliteConnection } from '../connection/open.js';
import { ActiveCollections } from './active-collections.js';
import { BatchReads } from './batch-reads.js';
import { checkIndexFields } from './document-query.js';
import { DocumentTables, documentTable } from './document-tables.js';
import { SqliteInlineDocuments } from './inline-documents.js';
import { SlotStatements } from './slot-statements.js';
import { StagedCollection, type StagedWrites, stagedRows } from './staged-collection.js';

/**
 * The SQLite document read store: each projection keeps collections of JSON documents (one table per collection
 * and version), its checkpoint moves in the same transaction as its documents, and a rebuilt version is swapped
 * in atomically. `find` and `count` filter on top-level fields with SQLite's JSON operators; declare an index
 * with {@link SqliteDocumentStore.index} for the fields a query filters on. Projections and queries get the
 * asynchronous document API; `inline` applies inline projections in the write store's synchronous transaction.
 *
 * It is the `documents` of a database handle:
 *
 * @example
 * const db = sqlite('data/hotel-read.db');
 * db.documents.index(bookingsView, 'bookings', ['roomId']);
 * new ProjectionRunner({ projection: bookingsView, store: db.documents, feed: db.events }).start();
 * mediator.query(RoomBookings, ({ roomId }) => db.documents.read(bookingsView).collection<Booking>('bookings').find({ roomId }));
 */
export class SqliteDocumentStore implements DocumentStore<SqliteConnection, InlineDocumentTx> {
  /**
   * The store as inline projections see it: their handlers get an `InlineDocumentTx`, answered at once, since
   * they run inside the write store's synchronous transaction. Only with the same handle's `events`.
   */
  readonly inline: SqliteInlineDocuments;
  readonly #db: SqliteConnection;
  readonly #tables: DocumentTables;
  readonly #active: ActiveCollections;
  readonly #reads: BatchReads;

  /** Made by {@link sqlite}, on its connection (migrated); `onClose` runs when the handle closes. */
  constructor(db: SqliteConnection, onClose: (hook: () => void) => void) {
    this.#db = db;
    this.#tables = new DocumentTables(db);
    this.inline = new SqliteInlineDocuments(db, this.#tables);
    this.#active = new ActiveCollections(db, this.#tables, new SlotStatements(db));
    this.#reads = new BatchReads(db, this.#tables);
    onClose(() => this.#reads.close());
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
      this.#db,
      () => {
        this.#db
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
      collection: <T>(collection: string) =>
        promisedCollection(this.#active.collection(name, collection) as SyncDocumentCollection<T>),
    };
  }

  checkpoint(slot: ProjectionSlot): Promise<GlobalPosition> {
    return this.inline.checkpoint(slot);
  }

  activeVersion(projection: string): Promise<number | undefined> {
    return this.inline.activeVersion(projection);
  }

  async activate(slot: ProjectionSlot): Promise<void> {
    try {
      await this.inline.activate(slot);
    } finally {
      this.#active.forget();
    }
  }

  /**
   * Applies a batch: the projection's handlers see the committed documents overlaid with their own writes, which
   * are held back and written, with the checkpoint, in one transaction at the end, so that handlers may await.
   * Their reads of committed documents share one read transaction (see `BatchReads` in `read-store/batch-reads.ts`).
   */
  async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: DocumentTx) => void | Promise<void>,
  ): Promise<void> {
    const tables = this.#tables;
    const staged = new Map<string, StagedWrites>();
    const reads = this.#reads.begin();
    // A handler asks for its collection on every event: look each up once per batch.
    const opened = new Map<string, WritableCollection<unknown>>();
    const tx: DocumentTx = {
      collection: <T>(name: string) => {
        let found = opened.get(name);
        if (found === undefined) {
          if (typeof name !== 'string' || name.length === 0) {
            throw new InvalidArgumentError('A collection name must be a non-empty string');
          }
          const writes: StagedWrites = new Map();
          staged.set(name, writes);
          const committed = tables.exists(slot, name) ? reads.tables : undefined;
          found = new StagedCollection(committed, documentTable(slot, name), writes, name);
          opened.set(name, found);
        }
        return found as WritableCollection<T>;
      },
    };
    try {
      const done = work(tx);
      if (done instanceof Promise) await done;
    } finally {
      reads.end();
    }
    await this.inline.commit(slot, from, to, () => {
      for (const [name, writes] of staged) {
        if (writes.size === 0) continue;
        tables.ensure(slot, name);
        tables.apply(documentTable(slot, name), stagedRows(writes, name));
      }
    });
  }
}
