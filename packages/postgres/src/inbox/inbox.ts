import type { InboxStore } from '@twofold/core';
import { checkInboxEntry, checkPruneBefore, type InboxDialect, receiveOnce, runAsync } from '@twofold/core/adapters';
import { type PostgresClient, prepared, type SchemaPool } from '../connection/schema-pool.js';

/**
 * The inbox on PostgreSQL: each received message is marked in `twofold_inbox` in the same transaction as its
 * effect, which gets the transaction's client to write its own tables with. Nodes may receive the same message
 * at once: the second waits on the first's row lock, then finds the mark and does nothing.
 *
 * It is the `inbox` of a database handle:
 *
 * @example
 * const db = await postgres({ connection: process.env.DATABASE_URL! });
 * await db.inbox.receive('billing', message.id, (tx) =>
 *   tx.query('INSERT INTO invoices (booking_id) VALUES ($1)', [message.data.bookingId]));
 */
export class PostgresInbox implements InboxStore<PostgresClient> {
  readonly #db: SchemaPool;
  readonly #dialect: InboxDialect<PostgresClient>;

  /** The inbox on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool) {
    this.#db = db;
    this.#dialect = {
      record: async (tx, consumer, messageId, at) => {
        const { rowCount } = await tx.query(
          prepared(
            `INSERT INTO twofold_inbox (consumer, message_id, received_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING`,
            [consumer, messageId, at],
          ),
        );
        return rowCount === 1;
      },
      recorded: async (consumer, messageId) => {
        const { rows } = await db.query('SELECT 1 FROM twofold_inbox WHERE consumer = $1 AND message_id = $2', [
          consumer,
          messageId,
        ]);
        return rows.length === 1;
      },
      prune: async (consumer, before) => {
        const { rowCount } = await db.query('DELETE FROM twofold_inbox WHERE consumer = $1 AND received_at < $2', [
          consumer,
          before,
        ]);
        return rowCount ?? 0;
      },
    };
  }

  async receive(
    consumer: string,
    messageId: string,
    effect: (tx: PostgresClient) => void | Promise<void>,
  ): Promise<boolean> {
    checkInboxEntry(consumer, messageId);
    return this.#db.transaction((tx) => runAsync(receiveOnce(this.#dialect, tx, { consumer, messageId, effect })));
  }

  async received(consumer: string, messageId: string): Promise<boolean> {
    checkInboxEntry(consumer, messageId);
    return this.#dialect.recorded(consumer, messageId) as Promise<boolean>;
  }

  async pruneBefore(consumer: string, before: Date): Promise<number> {
    return this.#dialect.prune(consumer, checkPruneBefore(consumer, before)) as Promise<number>;
  }
}
