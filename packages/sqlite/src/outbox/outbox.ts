import { InvalidArgumentError, type NewOutboxMessage } from '@twofold/core';
import { DialectOutbox, type OutboxDialect, type OutboxRow } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';

const COLUMNS = 'seq, id, topic, payload, headers, created_at, attempts, last_error';

/** The outbox protocol's statements on the `twofold_outbox` table of a SQLite connection. */
function sqliteOutbox(db: SqliteConnection): OutboxDialect<SqliteConnection> {
  const insert = db.prepare<[string, string, string, string, number, number]>(
    'INSERT INTO twofold_outbox (id, topic, payload, headers, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // One statement, so the choice and the lease are made under one write lock.
  const claim = db.prepare<[{ limit: number; now: number; until: number }], OutboxRow>(
    `UPDATE twofold_outbox SET claimed_until = @until, attempts = attempts + 1
     WHERE seq IN (
       SELECT seq FROM twofold_outbox
       WHERE parked = 0 AND due_at <= @now AND claimed_until <= @now ORDER BY seq LIMIT @limit
     )
     RETURNING ${COLUMNS}`,
  );
  const complete = db.prepare<[string]>('DELETE FROM twofold_outbox WHERE id IN (SELECT value FROM json_each(?))');
  const fail = db.prepare<[{ id: string; error: string; retryAt: number | null }]>(
    `UPDATE twofold_outbox SET last_error = @error, claimed_until = 0, due_at = coalesce(@retryAt, due_at),
       parked = @retryAt IS NULL WHERE id = @id`,
  );
  const parked = db.prepare<[], OutboxRow>(`SELECT ${COLUMNS} FROM twofold_outbox WHERE parked = 1 ORDER BY seq`);
  const retry = db.prepare<[number, string]>('UPDATE twofold_outbox SET parked = 0, due_at = ? WHERE id = ?');
  return {
    checkOwn: (tx) => {
      if (tx !== db) {
        throw new InvalidArgumentError(
          `SqliteOutbox.enqueue: the transaction is not on ${db.name}; use the outbox of the write store's own handle`,
        );
      }
    },
    insert: (_tx, rows, now) => {
      for (const row of rows) insert.run(row.id, row.topic, row.payload, row.headers, now, now);
    },
    claim: (request) => claim.all(request),
    complete: (ids) => {
      complete.run(JSON.stringify(ids));
    },
    fail: (failure) => {
      fail.run(failure);
    },
    parked: () => parked.all(),
    retry: (id, now) => {
      retry.run(now, id);
    },
  };
}

/**
 * The transactional outbox on SQLite: messages are inserted in the command's own write transaction (through
 * `outboxParticipant`), synchronously, and relays claim them with a lease, so that each due message goes to one
 * relay at a time, also when relays in several processes share the file.
 *
 * It is the `outbox` of a database handle:
 *
 * @example
 * const { events, outbox } = sqlite('data/hotel.db');
 * const models = writeModels({ store: events, participants: [outboxParticipant(outbox, (events) => toMessages(events))] });
 * new OutboxRelay({ store: outbox, send: (m) => broker.publish(m.topic, m.payload) }).start();
 */
export class SqliteOutbox extends DialectOutbox<SqliteConnection> {
  /** Made by {@link sqlite}, on its connection (migrated). */
  constructor(db: SqliteConnection) {
    super(sqliteOutbox(db));
  }

  /**
   * Inserts the messages in the write store's transaction: they exist if, and only if, it commits. Synchronous,
   * like every SQLite transaction; `tx` must be the connection of this outbox's own handle.
   */
  override enqueue(tx: SqliteConnection, messages: readonly NewOutboxMessage[]): void {
    super.enqueue(tx, messages);
  }
}
