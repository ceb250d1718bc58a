import type { NewQueuedCommand, QueuedCommand, TransactionalCommandQueue } from '@twofold/core';
import { InvalidArgumentError } from '@twofold/core';
import {
  type CommandQueueDialect,
  DialectCommandQueue,
  enqueueIn,
  LocalWakeUps,
  runSync,
} from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import { sqliteQueue } from './statements.js';

/**
 * The command queue in the SQLite file, `sqlite(…).commands`: commands survive restarts, and workers in several
 * processes on one file share it. A claim takes the file's write lock, so no two claims ever hand out one command;
 * a worker that dies leaves its commands to be claimed again when their leases end. Enqueues in this process wake
 * its workers at once; workers in other processes find new commands at their next poll.
 *
 * @example
 * const db = sqlite('data/hotel.db');
 * const worker = new CommandWorker({ store: db.commands, mediator: app.mediator });
 */
export class SqliteCommandQueue
  extends DialectCommandQueue<SqliteConnection>
  implements TransactionalCommandQueue<SqliteConnection>
{
  readonly #db: SqliteConnection;
  readonly #dialect: CommandQueueDialect<SqliteConnection>;
  readonly #wakeUps: LocalWakeUps;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    const dialect = sqliteQueue(db);
    const wakeUps = new LocalWakeUps();
    super(dialect, wakeUps);
    this.#db = db;
    this.#dialect = dialect;
    this.#wakeUps = wakeUps;
  }

  /**
   * Stores `command` as `queued` inside the transaction open on `tx`, the connection of this queue's own handle
   * (a unit-of-work participant's, or one the application opened with `tx.transaction(…)`): the command exists
   * if, and only if, that transaction commits. Synchronous, like every SQLite transaction. A command whose id is
   * already in the queue is not stored again; the stored one is returned. This process's workers wake once the
   * transaction has ended. A malformed command, a connection of another handle, or no open transaction fails with
   * INVALID_ARGUMENT and stores nothing.
   *
   * @example
   * db.connection.transaction(() => {
   *   db.connection.prepare('UPDATE my_process SET step = 2 WHERE id = ?').run(id);
   *   db.commands.enqueueIn(db.connection, command);
   * })();
   */
  enqueueIn(tx: SqliteConnection, command: NewQueuedCommand): QueuedCommand {
    if (tx !== this.#db) {
      throw new InvalidArgumentError(
        `SqliteCommandQueue.enqueueIn: the transaction is not on ${this.#db.name}; use the queue of its own handle`,
      );
    }
    if (!tx.inTransaction) {
      throw new InvalidArgumentError('SqliteCommandQueue.enqueueIn: no transaction is open; use enqueue() instead');
    }
    const enqueued = runSync(enqueueIn(this.#dialect, tx, command));
    // A synchronous transaction ends before any microtask runs: the workers look once it has committed.
    if (enqueued.inserted) queueMicrotask(() => this.#wakeUps.wake());
    return enqueued.command;
  }
}
