import type { InboxStore } from '@twofold/core';
import { checkInboxEntry, checkPruneBefore, type InboxDialect, receiveOnce, runSync } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';

/**
 * The inbox on SQLite: each received message is marked in `twofold_inbox` in the same transaction as its
 * effect, which gets the handle's connection to write its own tables with. The effect must be synchronous, like
 * every SQLite transaction; one that returns a promise is refused with INVALID_ARGUMENT and nothing is kept.
 *
 * It is the `inbox` of a database handle:
 *
 * @example
 * const db = sqlite('data/billing.db');
 * await db.inbox.receive('billing', message.id, (tx) => {
 *   tx.prepare('INSERT INTO invoices (booking_id) VALUES (?)').run(message.data.bookingId);
 * });
 */
export class SqliteInbox implements InboxStore<SqliteConnection> {
  readonly #db: SqliteConnection;
  readonly #dialect: InboxDialect<SqliteConnection>;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    this.#db = db;
    const record = db.prepare<[string, string, number]>(
      'INSERT INTO twofold_inbox (consumer, message_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const recorded = db
      .prepare<[string, string], number>('SELECT count(*) FROM twofold_inbox WHERE consumer = ? AND message_id = ?')
      .pluck();
    const prune = db.prepare<[string, number]>('DELETE FROM twofold_inbox WHERE consumer = ? AND received_at < ?');
    this.#dialect = {
      record: (_, consumer, messageId, at) => record.run(consumer, messageId, at).changes === 1,
      recorded: (consumer, messageId) => recorded.get(consumer, messageId) === 1,
      prune: (consumer, before) => prune.run(consumer, before).changes,
    };
  }

  async receive(
    consumer: string,
    messageId: string,
    effect: (tx: SqliteConnection) => void | Promise<void>,
  ): Promise<boolean> {
    checkInboxEntry(consumer, messageId);
    const message = { consumer, messageId, effect };
    // Immediate: the write lock from BEGIN, so that another process's delivery of the message waits for this one.
    return this.#db.transaction(() => runSync(receiveOnce(this.#dialect, this.#db, message))).immediate();
  }

  async received(consumer: string, messageId: string): Promise<boolean> {
    checkInboxEntry(consumer, messageId);
    return this.#dialect.recorded(consumer, messageId) as boolean;
  }

  async pruneBefore(consumer: string, before: Date): Promise<number> {
    return this.#dialect.prune(consumer, checkPruneBefore(consumer, before)) as number;
  }
}
