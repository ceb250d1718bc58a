import type { InlineCollection, InlineDocumentTx, ProjectionSlot } from '@twofold/core';
import type { SqliteConnection } from '../connection/open.js';
import { type DocumentTables, documentTable } from './document-tables.js';
import { VersionedReadStore } from './versioned-read-store.js';

/**
 * The document store of a {@link SqliteDatabase} as inline projections see it: their handlers get an
 * `InlineDocumentTx`, whose collections read and write the tables at once, inside the write store's synchronous
 * transaction (`applyWithin`), or inside a transaction of its own while `ProjectionRunner.catchUp()` brings them
 * up to the end of the log (`commit`, whose work must not return a promise). It shares its slots and tables with
 * the handle's `documents`, where queries read what it wrote.
 */
export class SqliteInlineDocuments extends VersionedReadStore<InlineDocumentTx> {
  readonly #tables: DocumentTables;

  /** Made by the handle's document store, on its connection and tables. */
  constructor(db: SqliteConnection, tables: DocumentTables) {
    super(db, 'SqliteDocumentStore');
    this.#tables = tables;
  }

  protected override createSlot(): void {
    // Collections are created as they are first written.
  }

  protected override dropSlot(_: SqliteConnection, slot: ProjectionSlot): void {
    this.#tables.drop(slot);
  }

  protected override projectionTx(_: SqliteConnection, slot: ProjectionSlot): InlineDocumentTx {
    const tables = this.#tables;
    const opened = new Map<string, InlineCollection<unknown>>();
    return {
      collection: <T>(name: string) => {
        let found = opened.get(name);
        if (found === undefined) {
          tables.ensure(slot, name);
          found = tables.write<unknown>(documentTable(slot, name));
          opened.set(name, found);
        }
        return found as InlineCollection<T>;
      },
    };
  }
}
