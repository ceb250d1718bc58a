import { InvalidArgumentError, type NewOutboxMessage } from '@twofold/core';
import { DialectOutbox, type OutboxDialect, type OutboxRow } from '@twofold/core/adapters';
import { type PostgresClient, prepared, type SchemaPool } from '../connection/schema-pool.js';

const COLUMNS = 'seq, id, topic, payload, headers, created_at, attempts, last_error';

/** The outbox protocol's statements on the `twofold_outbox` table of a database handle's pool. */
function postgresOutbox(db: SchemaPool): OutboxDialect<PostgresClient> {
  return {
    checkOwn: (tx) => {
      if (!db.runs(tx)) {
        throw new InvalidArgumentError(
          `PostgresOutbox.enqueue: the transaction is not one of this handle's (schema ${db.schema}); use the outbox of the write store's own handle`,
        );
      }
    },
    insert: async (tx, rows, now) => {
      await tx.query(
        prepared(
          `INSERT INTO twofold_outbox (id, topic, payload, headers, created_at, due_at)
           SELECT id, topic, payload, headers, $5, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
             WITH ORDINALITY AS m(id, topic, payload, headers, n) ORDER BY n`,
          [
            rows.map((row) => row.id),
            rows.map((row) => row.topic),
            rows.map((row) => row.payload),
            rows.map((row) => row.headers),
            now,
          ],
        ),
      );
    },
    claim: async ({ limit, now, until }) =>
      (
        await db.query<OutboxRow>(
          `UPDATE twofold_outbox SET claimed_until = $3, attempts = attempts + 1
           WHERE seq IN (
             SELECT seq FROM twofold_outbox
             WHERE NOT parked AND due_at <= $2 AND claimed_until <= $2
             ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
           )
           RETURNING ${COLUMNS}`,
          [limit, now, until],
        )
      ).rows,
    complete: async (ids) => {
      await db.query('DELETE FROM twofold_outbox WHERE id = ANY($1::text[])', [ids]);
    },
    fail: async ({ id, error, retryAt }) => {
      await db.query(
        `UPDATE twofold_outbox SET last_error = $2, claimed_until = 0, due_at = coalesce($3, due_at), parked = $3 IS NULL
         WHERE id = $1`,
        [id, error, retryAt],
      );
    },
    parked: async () =>
      (await db.query<OutboxRow>(`SELECT ${COLUMNS} FROM twofold_outbox WHERE parked ORDER BY seq`)).rows,
    retry: async (id, now) => {
      await db.query('UPDATE twofold_outbox SET parked = false, due_at = $2 WHERE id = $1', [id, now]);
    },
  };
}

/**
 * The transactional outbox on PostgreSQL: messages are inserted in the command's own transaction (through
 * `outboxParticipant`), and relays on any number of nodes claim them with `FOR UPDATE SKIP LOCKED` and a lease, so
 * that each due message goes to one relay at a time.
 *
 * It is the `outbox` of a database handle:
 *
 * @example
 * const { events, outbox } = await postgres({ connection: process.env.DATABASE_URL! });
 * const models = writeModels({ store: events, participants: [outboxParticipant(outbox, (events) => toMessages(events))] });
 * new OutboxRelay({ store: outbox, send: (m) => broker.publish(m.topic, m.payload) }).start();
 */
export class PostgresOutbox extends DialectOutbox<PostgresClient> {
  /** The outbox on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool) {
    super(postgresOutbox(db));
  }

  /**
   * Inserts the messages with the write store's transaction: they exist if, and only if, it commits. `tx` must be
   * a transaction of this outbox's own handle: another handle's would write them into its own schema, or commit
   * them apart from the command.
   */
  override async enqueue(tx: PostgresClient, messages: readonly NewOutboxMessage[]): Promise<void> {
    await super.enqueue(tx, messages);
  }
}
