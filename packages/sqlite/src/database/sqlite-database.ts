import type { Database, InlineDocumentTx } from '@twofold/core';
import { InvalidArgumentError } from '@twofold/core';
import { SqliteCommandQueue } from '../command-queue/command-queue-store.js';
import { migrate } from '../connection/migrations.js';
import {
  closeDatabase,
  openDatabase,
  type SqliteConnection,
  type SqliteConnectionOptions,
} from '../connection/open.js';
import { eventOptions, type SqliteEventOptions, SqliteStore } from '../event-store/sqlite-store.js';
import { SqliteInbox } from '../inbox/inbox.js';
import { SqliteOutbox } from '../outbox/outbox.js';
import { SqliteProcessStore } from '../process-managers/process-store.js';
import { SqliteDocumentStore } from '../read-store/document-store.js';
import { SqliteTableStore } from '../read-store/table-store.js';
import { SqliteCheckpointStore } from '../subscriptions/checkpoint-store.js';
import { SqliteDeadLetterStore } from '../subscriptions/dead-letter-store.js';
import { components } from './schema.js';

/** Options of {@link sqlite}: how to open the file, and how its event store behaves. */
export interface SqliteOptions extends SqliteConnectionOptions, SqliteEventOptions {}

/**
 * One SQLite database: the connection, its migrations, its background checkpoints and the wake-ups of readers
 * waiting for events, with every store as a view on it. Stores of one handle share its transactions: a
 * projection applies inline only with the write store of its own handle. Made by {@link sqlite}.
 *
 * @example
 * const db = sqlite('data/hotel.db');
 * const models = writeModels({ store: db.events });
 * new ProjectionRunner({ projection: bookings, store: db.documents, feed: db.events }).start();
 * // …
 * await db.close();
 */
export class SqliteDatabase implements Database<SqliteConnection, InlineDocumentTx> {
  /** Event streams, states, idempotency records and snapshots; also the event feed of projections and subscribers. */
  readonly events: SqliteStore;
  /** Read models as collections of JSON documents; `documents.inline` applies inline projections. */
  readonly documents: SqliteDocumentStore;
  /** Read models written in plain SQL, in tables of their own per projection version. */
  readonly tables: SqliteTableStore;
  /** How far each subscriber has read the log. */
  readonly checkpoints: SqliteCheckpointStore;
  /** The events subscribers gave up on, with their errors. */
  readonly deadLetters: SqliteDeadLetterStore;
  /** The durable command queue: what `enqueue` stores and workers, in this process or others on the file, claim. */
  readonly commands: SqliteCommandQueue;
  /** The transactional outbox: messages written in a command's transaction, claimed by relays. */
  readonly outbox: SqliteOutbox;
  /** Process managers' instances, timers and checkpoints, committed with the commands they send into `commands`. */
  readonly processes: SqliteProcessStore;
  /** The inbox: which messages each consumer received, marked in the same transaction as their effects. */
  readonly inbox: SqliteInbox;
  /**
   * The connection, for tables of the application's own in the same file (they may then commit with the
   * stores). Closed with the handle.
   */
  readonly connection: SqliteConnection;
  readonly #onClose: (() => void)[] = [];

  /** Use {@link sqlite}. */
  constructor(options: SqliteOptions) {
    const events = eventOptions(options);
    const db = openDatabase(options, 'data/twofold.db', 'sqlite()');
    try {
      for (const { component, migrations } of components) migrate(db, component, migrations);
      this.events = new SqliteStore(db, events, (hook) => this.#onClose.push(hook));
      this.documents = new SqliteDocumentStore(db, (hook) => this.#onClose.push(hook));
      this.tables = new SqliteTableStore(db);
      this.checkpoints = new SqliteCheckpointStore(db);
      this.deadLetters = new SqliteDeadLetterStore(db);
      this.commands = new SqliteCommandQueue(db);
      this.outbox = new SqliteOutbox(db);
      this.processes = new SqliteProcessStore(db, this.commands);
      this.inbox = new SqliteInbox(db);
    } catch (error) {
      closeDatabase(db);
      throw error;
    }
    this.connection = db;
  }

  /** The database file's path (`':memory:'` for an in-memory database). */
  get path(): string {
    return this.connection.name;
  }

  /**
   * Closes the connection: commits already asked for are made, and readers still waiting for events are
   * rejected with UNAVAILABLE. Every later call on one of its stores fails. Closing twice is harmless.
   */
  async close(): Promise<void> {
    // All of it before the first await: a caller that does not wait still finds the file closed.
    if (!this.connection.open) return;
    for (const hook of this.#onClose) hook();
    closeDatabase(this.connection);
  }
}

/**
 * Opens (creating it and its folder when missing) and migrates an SQLite database, in WAL mode: a file path, or
 * `':memory:'` for a private in-memory database, or options. Without arguments, `data/twofold.db`.
 *
 * @example
 * const db = sqlite('data/hotel.db');
 * const { events, documents, tables, checkpoints, deadLetters, commands, outbox, inbox, processes } = db;
 * const durable = sqlite({ path: 'data/bank.db', synchronous: 'FULL' });
 */
export function sqlite(pathOrOptions: string | SqliteOptions = {}): SqliteDatabase {
  if (typeof pathOrOptions === 'string') return new SqliteDatabase({ path: pathOrOptions });
  if (typeof pathOrOptions !== 'object' || pathOrOptions === null) {
    throw new InvalidArgumentError('sqlite(): expected a file path or options');
  }
  return new SqliteDatabase(pathOrOptions);
}
