import type { NewOutboxMessage, OutboxMessage, OutboxStore } from '@twofold/core';
import { InvalidArgumentError } from '@twofold/core';
import { checkOutboxMessage, fromJson } from '@twofold/core/adapters';
import { type PostgresClient, prepared, type SchemaPool, toNumber } from '../connection/schema-pool.js';

interface Row {
  readonly id: string;
  readonly topic: string;
  readonly payload: string;
  readonly headers: string;
  readonly created_at: string;
  readonly attempts: number;
  readonly last_error: string | null;
}

const COLUMNS = 'id, topic, payload, headers, created_at, attempts, last_error';

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
export class PostgresOutbox implements OutboxStore<PostgresClient> {
  readonly #db: SchemaPool;

  /** The outbox on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool) {
    this.#db = db;
  }

  /**
   * Inserts the messages with the write store's transaction: they exist if, and only if, it commits. `tx` must be
   * a transaction of this outbox's own handle: another handle's would write them into its own schema, or commit
   * them apart from the command.
   */
  async enqueue(tx: PostgresClient, messages: readonly NewOutboxMessage[]): Promise<void> {
    if (!this.#db.runs(tx)) {
      throw new InvalidArgumentError(
        `PostgresOutbox.enqueue: the transaction is not one of this handle's (schema ${this.#db.schema}); use the outbox of the write store's own handle`,
      );
    }
    const ids = messages.map(checkOutboxMessage);
    const now = Date.now();
    await tx.query(
      prepared(
        `INSERT INTO twofold_outbox (id, topic, payload, headers, created_at, due_at)
         SELECT id, topic, payload, headers, $5, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
           WITH ORDINALITY AS m(id, topic, payload, headers, n) ORDER BY n`,
        [
          ids,
          messages.map((m) => m.topic),
          messages.map((m) => JSON.stringify(m.payload)),
          messages.map((m) => JSON.stringify(m.headers ?? {})),
          now,
        ],
      ),
    );
  }

  async claim(limit: number, leaseMs: number): Promise<readonly OutboxMessage[]> {
    const now = Date.now();
    const { rows } = await this.#db.query<Row & { seq: string }>(
      `UPDATE twofold_outbox SET claimed_until = $2 + $3, attempts = attempts + 1
       WHERE seq IN (
         SELECT seq FROM twofold_outbox
         WHERE NOT parked AND due_at <= $2 AND claimed_until <= $2
         ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       RETURNING seq, ${COLUMNS}`,
      [limit, now, leaseMs],
    );
    return rows.sort((a, b) => toNumber(a.seq) - toNumber(b.seq)).map(messageOf);
  }

  async complete(ids: readonly string[]): Promise<void> {
    await this.#db.query('DELETE FROM twofold_outbox WHERE id = ANY($1::text[])', [ids]);
  }

  async fail(id: string, error: string, retryAt: number | undefined): Promise<void> {
    await this.#db.query(
      `UPDATE twofold_outbox SET last_error = $2, claimed_until = 0, due_at = coalesce($3, due_at), parked = $3 IS NULL
       WHERE id = $1`,
      [id, error, retryAt ?? null],
    );
  }

  async parked(): Promise<readonly OutboxMessage[]> {
    const { rows } = await this.#db.query<Row>(`SELECT ${COLUMNS} FROM twofold_outbox WHERE parked ORDER BY seq`);
    return rows.map(messageOf);
  }

  async retry(id: string): Promise<void> {
    await this.#db.query('UPDATE twofold_outbox SET parked = false, due_at = $2 WHERE id = $1', [id, Date.now()]);
  }
}

function messageOf(row: Row): OutboxMessage {
  const where = () => `Outbox message ${row.id}`;
  return {
    id: row.id,
    topic: row.topic,
    payload: fromJson(row.payload, where),
    headers: (fromJson(row.headers, where) ?? {}) as Record<string, string>,
    createdAt: toNumber(row.created_at),
    attempts: row.attempts,
    lastError: row.last_error ?? undefined,
  };
}
