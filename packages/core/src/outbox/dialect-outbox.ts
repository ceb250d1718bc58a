import type { Step } from '../protocol/run.js';
import { fromJson } from '../runtime/json.js';
import { checkOutboxMessage } from './checks.js';
import type { NewOutboxMessage, OutboxMessage, OutboxStore } from './ports.js';

/** A message's row as the outbox table holds it: payload and headers as JSON text. */
export interface OutboxRow {
  /** Its place in the table, the write order. */
  readonly seq: number | string | bigint;
  readonly id: string;
  readonly topic: string;
  /** The payload, as JSON text. */
  readonly payload: string;
  /** The headers, as JSON text. */
  readonly headers: string;
  /** When it was written, in ms since the epoch. */
  readonly created_at: number | string | bigint;
  readonly attempts: number;
  readonly last_error: string | null;
}

/** A new message's row: checked, its id given, payload and headers as JSON text. */
export interface NewOutboxRow {
  readonly id: string;
  readonly topic: string;
  readonly payload: string;
  readonly headers: string;
}

/**
 * What the outbox protocol needs from one database: the statements on its outbox table. `insert` runs in the
 * write store's transaction `tx` (synchronously where the driver is, as on SQLite); the others each commit on
 * their own.
 */
export interface OutboxDialect<Tx> {
  /** Fails with INVALID_ARGUMENT unless `tx` is a transaction of the outbox's own database handle. */
  checkOwn(tx: Tx): void;
  /** Inserts the rows in `tx`, due and written at `now`, in their order. */
  insert(tx: Tx, rows: readonly NewOutboxRow[], now: number): Step<void>;
  /**
   * Leases at most `limit` messages that are neither parked nor claimed and due at `now` until `until`, oldest
   * first, one more attempt each, and gives back their rows in any order. Atomic on its own: two claims at once,
   * in any process, never take the same message.
   */
  claim(claim: { readonly limit: number; readonly now: number; readonly until: number }): Step<readonly OutboxRow[]>;
  /** Deletes the messages. */
  complete(ids: readonly string[]): Step<void>;
  /** Records the error and ends the lease: due again at `retryAt`, parked when it is null. */
  fail(failure: { readonly id: string; readonly error: string; readonly retryAt: number | null }): Step<void>;
  /** The parked messages' rows, oldest first. */
  parked(): Step<readonly OutboxRow[]>;
  /** Makes a parked message due at `now`. */
  retry(id: string, now: number): Step<void>;
}

/**
 * The transactional outbox on a SQL database, written once: messages are checked and inserted in the command's
 * own transaction, relays claim them under a lease, and rows come back as {@link OutboxMessage}s in write order.
 * The SQLite and PostgreSQL outboxes are ones, each with its dialect.
 *
 * @example
 * class SqliteOutbox extends DialectOutbox<SqliteConnection> {}
 */
export class DialectOutbox<Tx> implements OutboxStore<Tx> {
  readonly #dialect: OutboxDialect<Tx>;

  /** The outbox on the table `dialect` reaches. */
  constructor(dialect: OutboxDialect<Tx>) {
    this.#dialect = dialect;
  }

  /**
   * Inserts the messages in the write store's transaction `tx`, which must be one of this outbox's own handle:
   * they exist if, and only if, it commits. Synchronous where the driver is (SQLite), a promise otherwise.
   */
  enqueue(tx: Tx, messages: readonly NewOutboxMessage[]): void | Promise<void> {
    this.#dialect.checkOwn(tx);
    const ids = messages.map(checkOutboxMessage);
    const rows = messages.map((m, i) => ({
      id: ids[i]!,
      topic: m.topic,
      payload: JSON.stringify(m.payload),
      headers: JSON.stringify(m.headers ?? {}),
    }));
    return this.#dialect.insert(tx, rows, Date.now()) as void | Promise<void>;
  }

  async claim(limit: number, leaseMs: number): Promise<readonly OutboxMessage[]> {
    const now = Date.now();
    const rows = await this.#dialect.claim({ limit, now, until: now + leaseMs });
    return [...rows].sort((a, b) => Number(a.seq) - Number(b.seq)).map(outboxMessageFromRow);
  }

  async complete(ids: readonly string[]): Promise<void> {
    await this.#dialect.complete(ids);
  }

  async fail(id: string, error: string, retryAt: number | undefined): Promise<void> {
    await this.#dialect.fail({ id, error, retryAt: retryAt ?? null });
  }

  async parked(): Promise<readonly OutboxMessage[]> {
    return (await this.#dialect.parked()).map(outboxMessageFromRow);
  }

  async retry(id: string): Promise<void> {
    await this.#dialect.retry(id, Date.now());
  }
}

function outboxMessageFromRow(row: OutboxRow): OutboxMessage {
  const where = () => `Outbox message ${row.id}`;
  return {
    id: row.id,
    topic: row.topic,
    payload: fromJson(row.payload, where),
    headers: (fromJson(row.headers, where) ?? {}) as Record<string, string>,
    createdAt: Number(row.created_at),
    attempts: row.attempts,
    lastError: row.last_error ?? undefined,
  };
}
