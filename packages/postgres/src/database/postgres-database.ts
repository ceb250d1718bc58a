import { createHash } from 'node:crypto';
import {
  type Database,
  type DocumentTx,
  InvalidArgumentError,
  UnavailableError,
  type Upcaster,
  Upcasters,
} from '@twofold/core';
import type pg from 'pg';
import { PostgresCommandQueue } from '../command-queue/command-queue-store.js';
import { Listener } from '../connection/listener.js';
import { migrateAll } from '../connection/migrate-all.js';
import {
  type PostgresClient,
  type PostgresConnectionOptions,
  SchemaPool,
  toNumber,
} from '../connection/schema-pool.js';
import { Notifier } from '../event-store/notifier.js';
import { PostgresStore } from '../event-store/postgres-store.js';
import { WakeUps } from '../event-store/wake-ups.js';
import { PostgresInbox } from '../inbox/inbox.js';
import { type LeaderWork, type Lease, type LeaseOptions, runExclusively } from '../leadership/lease.js';
import { PostgresOutbox } from '../outbox/outbox.js';
import { PostgresProcessStore } from '../process-managers/process-store.js';
import { PostgresDocumentStore } from '../read-store/document-store.js';
import { PostgresTableStore } from '../read-store/table-store.js';
import { PostgresCheckpointStore, PostgresDeadLetterStore } from '../subscriptions/stores.js';

/** Options of {@link postgres}. */
export interface PostgresOptions extends PostgresConnectionOptions {
  /** Turn old versions of event types into new ones as they are read. */
  readonly upcasters?: readonly Upcaster[];
  /**
   * How often a waiting reader looks for new events when no notification came (another node's NOTIFY was
   * lost, or a long transaction held the log back). Default: 250 ms.
   */
  readonly pollIntervalMs?: number;
}

/**
 * Connects to PostgreSQL, creates or migrates every table Twofold keeps in the schema (under an advisory lock,
 * so nodes starting together migrate once), and returns the database handle.
 *
 * @example
 * const db = await postgres({ connection: process.env.DATABASE_URL!, schema: 'hotel' });
 * const models = writeModels({ store: db.events });
 * new ProjectionRunner({ projection: bookings, store: db.documents, feed: db.events }).start();
 * // on shutdown:
 * await db.close();
 */
export async function postgres(options: PostgresOptions): Promise<PostgresDatabase> {
  const pollIntervalMs = options?.pollIntervalMs ?? 250;
  if (!Number.isSafeInteger(pollIntervalMs) || pollIntervalMs < 1) {
    throw new InvalidArgumentError('postgres(): options.pollIntervalMs must be an integer >= 1');
  }
  const upcasters = new Upcasters(options.upcasters);
  const db = new SchemaPool(options, 'postgres()');
  try {
    await migrateAll(db);
    const { rows } = await db.query<{ value: string }>("SELECT value FROM twofold_meta WHERE key = 'xid_base'");
    return new PostgresDatabase(db, { base: toNumber(rows[0]?.value), upcasters, pollIntervalMs });
  } catch (error) {
    await db.end();
    throw error;
  }
}

/**
 * One PostgreSQL database (a schema in it) as Twofold uses it: one pool, the migrations, one listening client for
 * the wake-ups of every store, and the leases; every store is a view on it, so a read store applies inline exactly when it is the
 * same handle's. Make it with {@link postgres}.
 */
export class PostgresDatabase implements Database<PostgresClient, DocumentTx> {
  /** The write store: event streams, states, idempotency records, snapshots; `commit(unitOfWork)`. */
  readonly events: PostgresStore;
  /** JSON (jsonb) document read models, async or inline in the events' transactions. */
  readonly documents: PostgresDocumentStore;
  /** Read models in plain SQL tables, async or inline. */
  readonly tables: PostgresTableStore;
  /** Subscribers' checkpoints. */
  readonly checkpoints: PostgresCheckpointStore;
  /** Events subscribers gave up on, with the error. */
  readonly deadLetters: PostgresDeadLetterStore;
  /** The transactional outbox: messages written in a command's transaction, claimed by relays. */
  readonly outbox: PostgresOutbox;
  /** The inbox: which messages each consumer received, marked in the same transaction as their effects. */
  readonly inbox: PostgresInbox;
  /** The durable command queue, shared by the workers of every node: `FOR UPDATE SKIP LOCKED`, LISTEN/NOTIFY. */
  readonly commands: PostgresCommandQueue;
  /** Process managers' instances, timers and checkpoints, committed with the commands they send into `commands`. */
  readonly processes: PostgresProcessStore;
  readonly #db: SchemaPool;
  readonly #wakeUps: WakeUps;
  readonly #listener: Listener;
  readonly #leases = new Set<Lease>();
  #closing: Promise<void> | undefined;

  /** Use {@link postgres}. */
  constructor(db: SchemaPool, setup: { base: number; upcasters: Upcasters; pollIntervalMs: number }) {
    this.#db = db;
    this.#listener = new Listener(() => db.client());
    // A channel name has at most 63 bytes: one per schema and store, from a hash of the schema's name.
    const hash = createHash('sha256').update(db.schema).digest('hex').slice(0, 32);
    const channel = `twofold_events_${hash}`;
    this.#wakeUps = new WakeUps({
      head: () => this.events.head(),
      listener: this.#listener,
      channel,
      pollIntervalMs: setup.pollIntervalMs,
      closed: () => new UnavailableError(`PostgresStore (schema ${db.schema}) is closed`),
    });
    this.events = new PostgresStore(db, { ...setup, channel, wakeUps: this.#wakeUps });
    this.documents = new PostgresDocumentStore(db);
    this.tables = new PostgresTableStore(db);
    this.checkpoints = new PostgresCheckpointStore(db);
    this.deadLetters = new PostgresDeadLetterStore(db);
    this.outbox = new PostgresOutbox(db);
    this.inbox = new PostgresInbox(db);
    this.commands = new PostgresCommandQueue(db, {
      notifier: new Notifier(db, `twofold_commands_${hash}`),
      listener: this.#listener,
      settled: new Notifier(db, `twofold_settled_${hash}`),
      eventsChannel: channel,
    });
    this.processes = new PostgresProcessStore(db, this.commands);
  }

  /** The schema the tables are in. */
  get schema(): string {
    return this.#db.schema;
  }

  /**
   * The handle's pool, for the application's own tables in the same database. When the handle made it, its
   * clients' `search_path` is {@link schema}.
   */
  get pool(): pg.Pool {
    return this.#db.pool;
  }

  /**
   * Runs `work` on exactly one node at a time among all whose handles on this schema use the same lease name,
   * holding a session-level advisory lock on a connection of its own. Closing the handle closes the lease.
   *
   * @example
   * const lease = db.runExclusively({ name: 'projection:bookings' }, { start: () => runner.start(), stop: () => runner.stop() });
   */
  runExclusively(options: LeaseOptions, work: LeaderWork): Lease {
    if (this.#closing !== undefined) {
      throw new UnavailableError(`runExclusively(): the database handle (schema ${this.schema}) is closed`);
    }
    const lease = runExclusively(this.#db, options, work);
    const leases = this.#leases;
    leases.add(lease);
    return {
      get leader() {
        return lease.leader;
      },
      async close() {
        leases.delete(lease);
        await lease.close();
      },
    };
  }

  /**
   * Closes the leases (stopping their work), rejects readers still waiting for events, stops listening, and
   * closes the pool when the handle made it. Closing twice is harmless.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#leases].map((lease) => lease.close()));
      this.#leases.clear();
      await this.#wakeUps.close();
      await this.#listener.close();
      await this.#db.end();
    })();
    return this.#closing;
  }
}
