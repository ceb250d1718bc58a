import type { NewQueuedCommand, QueuedCommand, TransactionalCommandQueue } from '@twofold/core';
import { InvalidArgumentError } from '@twofold/core';
import {
  type CommandQueueDialect,
  DialectCommandQueue,
  enqueueIn,
  LocalWakeUps,
  runAsync,
} from '@twofold/core/adapters';
import type { Listener } from '../connection/listener.js';
import type { PostgresClient, SchemaPool } from '../connection/schema-pool.js';
import type { Notifier } from '../event-store/notifier.js';
import { inTransaction, postgresQueue, type QueueSql } from './statements.js';

/**
 * The command queue on PostgreSQL, `(await postgres(…)).commands`, shared by workers on any number of nodes. A claim
 * takes due commands with `FOR UPDATE SKIP LOCKED`, so concurrent claims never wait for each other nor share a
 * command; an enqueue with a key takes a transaction lock on the key, so that commands with one key are numbered in
 * the order they commit. A NOTIFY wakes the workers listening on every node: in the commit of an enqueue made while
 * no other of this handle's is on its way, after the commits of enqueues made together (one NOTIFY for those that
 * commit while one is on its way), and a worker that
 * dies leaves its commands to be claimed again when their leases end. A NOTIFY after each outcome that makes a
 * command final (or in its own commit, when a worker records a success with its next claim) wakes the status waits
 * (`onSettled`) of every node. A claim that records no outcome commits without waiting for the server to flush its log
 * (`synchronous_commit` off for that claim's own transaction): a server crash may undo it, leaving its commands
 * claimable as they were before it, the attempt uncounted; an outcome recorded under its lease then changes nothing.
 * Enqueues and outcomes (with a claim or not) commit as the server's `synchronous_commit` says.
 *
 * @example
 * const db = await postgres({ connection: process.env.DATABASE_URL! });
 * const worker = new CommandWorker({ store: db.commands, mediator: app.mediator });
 */
export class PostgresCommandQueue
  extends DialectCommandQueue<QueueSql>
  implements TransactionalCommandQueue<PostgresClient>
{
  readonly #db: SchemaPool;
  readonly #dialect: CommandQueueDialect<QueueSql>;
  readonly #channel: string;

  /**
   * The queue on a database handle's pool, whose tables the handle has migrated: `notifier` tells every node of a
   * change, and the handle's `listener` hears them for this node's workers while some subscribe. With `settled`,
   * each command made final here is told on that notifier's channel, after its commit (or with it, for a
   * success recorded with the next claim), and a status wait
   * (`onSettled`) hears of those made final on any node; with `eventsChannel`, the handle's channel of new events,
   * it also hears of the events a command run on another node committed.
   */
  constructor(
    db: SchemaPool,
    wakeUps: {
      readonly notifier: Notifier;
      readonly listener: Listener;
      readonly settled?: Notifier;
      readonly eventsChannel?: string;
    },
  ) {
    const { notifier, listener, settled, eventsChannel } = wakeUps;
    const hints = [settled?.channel, eventsChannel].filter((channel) => channel !== undefined);
    const local = new LocalWakeUps();
    const dialect = postgresQueue(db, settled?.channel, notifier.channel);
    super(
      dialect,
      {
        wake: (told) => {
          local.wake();
          if (!told) notifier.notify();
          listener.ensure();
        },
        subscribe: (onWake) => {
          const stopLocal = local.subscribe(onWake);
          const stopRemote = listener.listen(notifier.channel, onWake);
          return () => {
            stopLocal();
            stopRemote();
          };
        },
      },
      hints.length === 0
        ? undefined
        : {
            tell: () => settled?.notify(),
            hear: (onHint) => {
              const stops = hints.map((channel) => listener.listen(channel, onHint));
              return () => {
                for (const stop of stops) stop();
              };
            },
          },
    );
    this.#db = db;
    this.#dialect = dialect;
    this.#channel = notifier.channel;
  }

  /**
   * Stores `command` as `queued` inside `tx`, a client in a transaction of this queue's own handle (as a
   * unit-of-work participant of `db.events` gets it): the command exists if, and only if, that transaction
   * commits. A command whose id is already in the queue is not stored again; the stored one is
   * returned. A command with a key holds other enqueues of that key until the transaction ends. The workers of
   * every node wake when it commits (a NOTIFY sent inside it), and not when it rolls back. A malformed command, or
   * a client that is not in one of this handle's transactions, fails with INVALID_ARGUMENT and stores nothing.
   *
   * @example
   * await db.events.commit({
   *   states: [{ collection: 'process', id, expectedVersion: 1, state }],
   *   participants: [async (tx) => { await db.commands.enqueueIn(tx, command); }],
   * });
   */
  async enqueueIn(tx: PostgresClient, command: NewQueuedCommand): Promise<QueuedCommand> {
    if (!this.#db.runs(tx)) {
      throw new InvalidArgumentError(
        `PostgresCommandQueue.enqueueIn: the client is not in a transaction of the handle on schema ${this.#db.schema}`,
      );
    }
    const sql = inTransaction(tx);
    const enqueued = await runAsync(enqueueIn(this.#dialect, sql, command));
    if (enqueued.inserted) await sql.query('SELECT pg_notify($1, $2)', [this.#channel, '']);
    return enqueued.command;
  }
}
