import { CorruptDataError, InvalidArgumentError, TwofoldError, UnavailableError } from '@twofold/core';
import pg from 'pg';

/** Where a database handle connects, and in which schema its tables live. */
export interface PostgresConnectionOptions {
  /** A connection string (`postgres://user@host:5432/db`) or a pool made by the application. */
  readonly connection: string | pg.Pool;
  /**
   * The schema of Twofold's tables, created when missing. Default: `public`. Handles on the same schema share
   * their data; one schema per application (or per test) keeps them apart.
   */
  readonly schema?: string;
  /** Connections in the pool, when given a connection string. Default: 10. */
  readonly maxConnections?: number;
}

/**
 * The pooled client a transaction runs on, as unit-of-work participants and table projections get it:
 * `client.query(…)` runs inside the transaction.
 *
 * @example
 * const participant = async (client: PostgresClient) => client.query('INSERT INTO audit (at) VALUES (now())');
 */
export type PostgresClient = pg.PoolClient;

/**
 * One pool working in one schema: every statement of a database handle goes through it. Closes the pool on
 * `end()` only when it made it.
 */
export class SchemaPool {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** The connection string, for clients made apart from the pool (LISTEN, leadership). */
  readonly config: pg.ClientConfig;
  readonly #owned: boolean;
  // The clients inside one of this pool's transactions: an inline projection must write in one of them.
  readonly #inTransaction = new WeakSet<pg.PoolClient>();

  constructor(options: PostgresConnectionOptions, owner: string) {
    const { schema, config } = connectionConfig(options, owner);
    this.schema = schema;
    this.config = config;
    if (typeof options.connection === 'string') {
      const max = options.maxConnections ?? 10;
      if (!Number.isSafeInteger(max) || max < 1) {
        throw new InvalidArgumentError(`${owner}: options.maxConnections must be an integer >= 1`);
      }
      this.pool = new pg.Pool({ ...config, max });
      this.#owned = true;
    } else {
      this.pool = options.connection;
      this.#owned = false;
    }
    // A dropped idle connection must not crash the process: the next query gets a fresh one.
    this.pool.on('error', () => {});
  }

  /** Runs one statement on a pooled client (in a transaction of its own); a lost or refused connection fails with UNAVAILABLE. */
  async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
    /** What a lost connection means for this statement, for the error's message. */
    outcome = 'nothing was written',
    /** Twofold's own statements are prepared once per connection; a user's SQL is sent as it is. */
    prepare = true,
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(prepare ? prepared(text, values) : { text, values: values ?? [] });
    } catch (error) {
      throw this.#unavailable(error, outcome);
    }
  }

  /**
   * Runs `work` in one transaction on one client: committed when it resolves, rolled back when it throws. A lost
   * or refused connection fails with UNAVAILABLE, saying whether the transaction may have committed. `first` is a
   * statement sent with BEGIN, in the same round trip.
   */
  async transaction<T>(work: (tx: PostgresClient) => Promise<T>, first?: string): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.#unavailable(error, 'nothing was written');
    }
    let broken = false;
    let committing = false;
    // A connection lost mid-transaction fails the statement running on it and also emits 'error' on the client,
    // which the pool listens for only while the client is idle: unheard, it would crash the process.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      // The design relies on READ COMMITTED (each statement sees what committed before it), whatever the server's default.
      await client.query(`BEGIN ISOLATION LEVEL READ COMMITTED${first === undefined ? '' : `; ${first}`}`);
      this.#inTransaction.add(client);
      const result = await work(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        if (!committing) await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      if (committing && lostConnection(error)) broken = true;
      throw this.#unavailable(
        error,
        committing ? 'the transaction may or may not have committed' : 'the transaction was rolled back',
      );
    } finally {
      this.#inTransaction.delete(client);
      client.removeListener('error', lost);
      client.release(broken);
    }
  }

  /** True when `client` is running one of this pool's transactions (see {@link transaction}). */
  runs(client: unknown): boolean {
    return typeof client === 'object' && client !== null && this.#inTransaction.has(client as pg.PoolClient);
  }

  #unavailable(error: unknown, outcome: string): unknown {
    return lostConnection(error) ? unavailable(error, `PostgreSQL (schema ${this.schema})`, outcome) : error;
  }

  /** A client apart from the pool (for LISTEN or a session lock), in the same schema. */
  client(): pg.Client {
    return new pg.Client(this.config);
  }

  /** Closes the pool when this made it; a pool the application gave stays open. Ending twice is harmless. */
  async end(): Promise<void> {
    if (this.#owned && !this.pool.ended) await this.pool.end();
  }
}

/** The schema and client settings `options` name, checked. */
export function connectionConfig(
  options: Omit<PostgresConnectionOptions, 'maxConnections'>,
  owner: string,
): { readonly schema: string; readonly config: pg.ClientConfig } {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${owner}: expected options with a connection string or pool`);
  }
  const schema = options.schema ?? 'public';
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new InvalidArgumentError(
      `${owner}: options.schema must be a lower-case SQL identifier (letters, digits, _); got ${JSON.stringify(schema)}`,
    );
  }
  if (typeof options.connection === 'string') {
    return { schema, config: { connectionString: options.connection, options: `-c search_path=${schema}` } };
  }
  if (options.connection instanceof pg.Pool) {
    if (options.schema !== undefined) {
      throw new InvalidArgumentError(
        `${owner}: options.schema needs a connection string; set the search_path of your own pool instead`,
      );
    }
    return { schema, config: { ...(options.connection.options as pg.ClientConfig) } };
  }
  throw new InvalidArgumentError(`${owner}: options.connection must be a connection string or a pg Pool`);
}

/** A bigint column (returned as text) as a number, checked to be exact. */
export function toNumber(value: string | number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new CorruptDataError(`A stored number, ${String(value)}, is beyond JavaScript's safe integers`);
  }
  return n;
}

const names = new Map<string, string>();

/**
 * A statement to run as a named prepared statement: each connection parses and plans it once, then only binds
 * and executes it. For statements whose text is one of a known few (not built from data).
 *
 * @example
 * await tx.query(prepared('SELECT version FROM twofold_streams WHERE stream_id = $1', [id]));
 */
export function prepared(text: string, values: unknown[] = []): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `twofold_${names.size + 1}`;
    names.set(text, name);
  }
  return { name, text, values };
}

/**
 * True when `error` says the server cannot be used now: the connection was refused, lost, or closed by the server
 * shutting down; the server has no connection, memory or disk to spare (class 53); it is a standby that refuses
 * writes (25006); or the pool timed out waiting for a connection, or was closed.
 */
export function lostConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(08|53)/.test(code)) return true;
  if (typeof code === 'string' && ['57P01', '57P02', '57P03', '25006'].includes(code)) return true;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)) {
    return true;
  }
  return /SchemaPool terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|pool after calling end/i.test(
    error.message,
  );
}

/**
 * `error`, a failure to reach `what`, as the UNAVAILABLE error that says so and what it means (`outcome`); a
 * TwofoldError is kept as it is.
 *
 * @example
 * client.on('error', (error) => report(unavailable(error, 'The LISTEN connection')));
 */
export function unavailable(error: unknown, what: string, outcome?: string): TwofoldError {
  if (error instanceof TwofoldError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new UnavailableError(`${what} is unreachable: ${reason}${outcome === undefined ? '' : `; ${outcome}`}`, {
    cause: error,
  });
}
