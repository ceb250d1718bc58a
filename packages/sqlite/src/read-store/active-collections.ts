import type { SyncDocumentCollection } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';
import { type DocumentTables, documentTable, emptyCollection } from './document-tables.js';
import type { SlotStatements } from './slot-statements.js';

/**
 * The collections queries read, each resolved once to its table in the active version of its projection (or to
 * the empty collection), instead of two lookups before every read. What it knows holds until this connection
 * creates or drops a collection or activates a version (`forget()`), or another connection, in this process or
 * another, commits anything: `PRAGMA data_version`, which reads no table, tells that at the price of one step.
 */
export class ActiveCollections {
  readonly #tables: DocumentTables;
  readonly #slots: SlotStatements;
  readonly #dataVersion: Statement<[], number>;
  readonly #known = new Map<string, Map<string, SyncDocumentCollection<unknown>>>();
  #seenVersion: number | undefined;
  #seenChanges: number | undefined;

  constructor(db: SqliteConnection, tables: DocumentTables, slots: SlotStatements) {
    this.#tables = tables;
    this.#slots = slots;
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** The collection of the projection's active version that queries read now. */
  collection(projection: string, name: string): SyncDocumentCollection<unknown> {
    const version = this.#dataVersion.get();
    if (version !== this.#seenVersion || this.#tables.changes !== this.#seenChanges) {
      this.#known.clear();
      this.#seenVersion = version;
      this.#seenChanges = this.#tables.changes;
    }
    let collections = this.#known.get(projection);
    if (collections === undefined) {
      collections = new Map();
      this.#known.set(projection, collections);
    }
    let found = collections.get(name);
    if (found === undefined) {
      found = this.#resolve(projection, name);
      collections.set(name, found);
    }
    return found;
  }

  /** Forgets every collection: this connection changed which version is active. */
  forget(): void {
    this.#known.clear();
  }

  #resolve(projection: string, name: string): SyncDocumentCollection<unknown> {
    const version = this.#slots.activeVersion(projection);
    if (version === undefined) return emptyCollection;
    const slot = { projection, version };
    return this.#tables.exists(slot, name) ? this.#tables.read(documentTable(slot, name)) : emptyCollection;
  }
}
