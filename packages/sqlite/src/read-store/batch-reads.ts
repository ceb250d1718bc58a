import { resolve } from 'node:path';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';
import { openConnection } from '../driver/open-connection.js';
import { DocumentTables } from './document-tables.js';

/** The reads of one batch: the tables to read committed documents from, and `end()` once its handlers are done. */
export interface BatchRead {
  readonly tables: DocumentTables;
  end(): void;
}

interface Reader {
  readonly connection: SqliteConnection;
  readonly tables: DocumentTables;
  readonly begin: Statement;
  readonly commit: Statement;
}

const noEnd = () => undefined;

/**
 * Where the handlers of a projection's batch read the documents committed before it: a connection of the store's
 * own to the same file, in one read transaction from the batch's first read to its end. Outside a transaction,
 * SQLite takes and drops its file locks around every statement, which costs a document read several times what
 * the read itself does; one transaction pays that once a batch. The handle's connection cannot hold that
 * transaction while handlers await: what else runs on it meanwhile (a command's commit, a query) would run inside.
 * The reads see the file as it was at the batch's first read; the batch writes only at its commit, on the handle's
 * connection, which fails if another runner moved the checkpoint meanwhile.
 *
 * One batch at a time reads there: a batch that starts meanwhile, and every batch of an in-memory database (which
 * no second connection can open), reads on the handle's connection, statement by statement.
 */
export class BatchReads {
  readonly #db: SqliteConnection;
  readonly #tables: DocumentTables;
  readonly #path: string | undefined;
  #reader: Reader | undefined;
  #reading = false;
  #closed = false;

  /** On the handle's connection and its document tables. */
  constructor(db: SqliteConnection, tables: DocumentTables) {
    this.#db = db;
    this.#tables = tables;
    this.#path = db.memory ? undefined : resolve(db.name);
  }

  /** Starts the reads of a batch; call `end()` on what it returns once the batch's handlers are done. */
  begin(): BatchRead {
    if (this.#reading || this.#closed || this.#path === undefined) return { tables: this.#tables, end: noEnd };
    const reader = this.#reader ?? this.#open(this.#path);
    reader.begin.run();
    this.#reading = true;
    let ended = false;
    return {
      tables: reader.tables,
      end: () => {
        if (ended) return;
        ended = true;
        this.#reading = false;
        if (reader.connection.open && reader.connection.inTransaction) reader.commit.run();
      },
    };
  }

  /** Closes the reading connection, with the handle. */
  close(): void {
    this.#closed = true;
    this.#reader?.connection.close();
    this.#reader = undefined;
  }

  #open(path: string): Reader {
    const busyTimeout = this.#db.prepare<[], number>('PRAGMA busy_timeout').pluck().get() ?? 5_000;
    const connection = openConnection(path, this.#db.driver, 'SqliteDocumentStore', busyTimeout);
    try {
      connection.exec('PRAGMA query_only = ON');
      const reader = {
        connection,
        tables: new DocumentTables(connection),
        begin: connection.prepare('BEGIN'),
        commit: connection.prepare('COMMIT'),
      };
      this.#reader = reader;
      return reader;
    } catch (error) {
      connection.close();
      throw error;
    }
  }
}
