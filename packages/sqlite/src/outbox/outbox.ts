import type { NewOutboxMessage, OutboxMessage, OutboxStore } from '@twofold/core';
import { InvalidArgumentError } from '@twofold/core';
import { checkOutboxMessage, fromJson } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';

interface Row {
  readonly seq: number;
  readonly id: string;
  readonly topic: string;
  readonly payload: string;
  readonly headers: string;
  readonly created_at: number;
  readonly attempts: number;
  readonly last_error: string | null;
}

const COLUMNS = 'seq, id, topic, payload, headers, created_at, attempts, last_error';

/**
 * The transactional outbox on SQLite: messages are inserted in the command's own write transaction (through
 * `outboxParticipant`), and relays claim them with a lease, so that each due message goes to one relay at a time,
 * also when relays in several processes share the file.
 *
 * It is the `outbox` of a database handle:
 *
 * @example
 * const { events, outbox } = sqlite('data/hotel.db');
 * const models = writeModels({ store: events, participants: [outboxParticipant(outbox, (events) => toMessages(events))] });
 * new OutboxRelay({ store: outbox, send: (m) => broker.publish(m.topic, m.payload) }).start();
 */
export class SqliteOutbox implements OutboxStore<SqliteConnection> {
  readonly #db: SqliteConnection;
  readonly #insert: Statement<[string, string, string, string, number, number]>;
  readonly #claim: Statement<[{ limit: number; now: number; lease: number }], Row>;
  readonly #complete: Statement<[string]>;
  readonly #fail: Statement<[{ id: string; error: string; retryAt: number | null }]>;
  readonly #parked: Statement<[], Row>;
  readonly #retry: Statement<[number, string]>;

  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO twofold_outbox (id, topic, payload, headers, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // One statement, so the choice and the lease are made under one write lock.
    this.#claim = db.prepare(
      `UPDATE twofold_outbox SET claimed_until = @now + @lease, attempts = attempts + 1
       WHERE seq IN (
         SELECT seq FROM twofold_outbox
         WHERE parked = 0 AND due_at <= @now AND claimed_until <= @now ORDER BY seq LIMIT @limit
       )
       RETURNING ${COLUMNS}`,
    );
    this.#complete = db.prepare('DELETE FROM twofold_outbox WHERE id IN (SELECT value FROM json_each(?))');
    this.#fail = db.prepare(
      `UPDATE twofold_outbox SET last_error = @error, claimed_until = 0, due_at = coalesce(@retryAt, due_at),
         parked = @retryAt IS NULL WHERE id = @id`,
    );
    this.#parked = db.prepare(`SELECT ${COLUMNS} FROM twofold_outbox WHERE parked = 1 ORDER BY seq`);
    this.#retry = db.prepare('UPDATE twofold_outbox SET parked = 0, due_at = ? WHERE id = ?');
  }

  /**
   * Inserts the messages in the write store's transaction: they exist if, and only if, it commits. Synchronous,
   * like every SQLite transaction; `tx` must be the connection of this outbox's own handle.
   */
  enqueue(tx: SqliteConnection, messages: readonly NewOutboxMessage[]): void {
    if (tx !== this.#db) {
      throw new InvalidArgumentError(
        `SqliteOutbox.enqueue: the transaction is not on ${this.#db.name}; use the outbox of the write store's own handle`,
      );
    }
    const ids = messages.map(checkOutboxMessage);
    const now = Date.now();
    messages.forEach((m, i) => {
      this.#insert.run(ids[i]!, m.topic, JSON.stringify(m.payload), JSON.stringify(m.headers ?? {}), now, now);
    });
  }

  async claim(limit: number, leaseMs: number): Promise<readonly OutboxMessage[]> {
    const rows = this.#claim.all({ limit, now: Date.now(), lease: leaseMs });
    return rows.sort((a, b) => a.seq - b.seq).map(messageOf);
  }

  async complete(ids: readonly string[]): Promise<void> {
    this.#complete.run(JSON.stringify(ids));
  }

  async fail(id: string, error: string, retryAt: number | undefined): Promise<void> {
    this.#fail.run({ id, error, retryAt: retryAt ?? null });
  }

  async parked(): Promise<readonly OutboxMessage[]> {
    return this.#parked.all().map(messageOf);
  }

  async retry(id: string): Promise<void> {
    this.#retry.run(Date.now(), id);
  }
}

function messageOf(row: Row): OutboxMessage {
  const where = () => `Outbox message ${row.id}`;
  return {
    id: row.id,
    topic: row.topic,
    payload: fromJson(row.payload, where),
    headers: (fromJson(row.headers, where) ?? {}) as Record<string, string>,
    createdAt: row.created_at,
    attempts: row.attempts,
    lastError: row.last_error ?? undefined,
  };
}
