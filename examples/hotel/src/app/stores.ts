import { join } from 'node:path';
import {
  type CheckpointStore,
  type CommandQueueStore,
  type DeadLetterStore,
  type DocumentIndex,
  type DocumentReader,
  type DocumentTx,
  type EventFeed,
  type InboxStore,
  type InlineDocumentStore,
  type InlineProjection,
  inlineProjection,
  MemoryCheckpointStore,
  MemoryCommandQueue,
  MemoryDeadLetterStore,
  MemoryDocumentStore,
  MemoryInbox,
  MemoryOutbox,
  MemoryProcessStore,
  MemoryStore,
  type NewQueuedCommand,
  type OutboxStore,
  type ProcessStore,
  type Projection,
  ProjectionRunner,
  type ProjectionStore,
  type WriteStore,
} from '@twofold/core';
import { postgres } from '@twofold/postgres';
import { type RedisDatabase, redis } from '@twofold/redis';
import { type SqliteDatabase, sqlite } from '@twofold/sqlite';
import { type EffectStore, MemoryEffectStore } from '../effects/effect-store.js';
import { PostgresEffectStore } from '../effects/postgres-effect-store.js';
import { SqliteEffectStore } from '../effects/sqlite-effect-store.js';
import { bookingLocator, bookingLocatorOnPostgres } from '../read-models/booking-locator.js';

/**
 * A read store of document collections, which query handlers read through `read(projection)`: in memory, on
 * SQLite, on PostgreSQL or on Redis, since the hotel's asynchronous projections are written for all of them.
 */
export type DocumentStore = ProjectionStore<DocumentTx> & {
  read(projection: string | { readonly name: string }): DocumentReader;
  /** Declares an index on fields that `find` filters on, and one `page` orders by (memory and Redis have none). */
  index?(projection: { readonly name: string }, collection: string, fields: DocumentIndex): void | Promise<void>;
};

/** Everything the hotel keeps, on the write side and on the read side. */
export interface Stores {
  /** Events, room states and idempotency records. */
  readonly writes: WriteStore;
  /** The booking locator, applied inline within the write store's transactions, and where it is read. */
  readonly inline: InlineReadModel;
  /** Read models applied asynchronously. */
  readonly reads: DocumentStore;
  /** The guests' bookings read model: on Redis when there is one, otherwise with the other read models. */
  readonly bookingViews: DocumentStore;
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterStore;
  readonly effects: EffectStore;
  /** The queue of commands sent with `Prefer: respond-async`, on the write side's handle; workers run them. */
  readonly commands: CommandQueueStore;
  /** The process managers' instances, timers and checkpoints, committing with `commands`. */
  readonly processes: ProcessStore;
  /** Events bound for billing, written in the commits that raise them, on the write side's handle. */
  readonly outbox: OutboxStore<never>;
  /** Billing's replies taken in, on the write side's handle: each with what it enqueues, in one transaction. */
  readonly inbox: InboxStore<any>;
  /** Enqueues into `commands` within the inbox's transaction `tx`. */
  enqueueIn(tx: unknown, command: NewQueuedCommand): void | Promise<void>;
  /** Where it all is, in words, for the start-up banner. */
  readonly description: string;
  close(): Promise<void>;
}

/** The booking locator as the write store applies it inline (see `booking-locator.ts`), and where it is read. */
export interface InlineReadModel {
  /** Brings it up to the end of the log, then gives the participant that applies it within each commit. */
  start(feed: EventFeed): Promise<InlineProjection<unknown>>;
  /** The documents of the write store's handle, where queries and command handlers read it. */
  readonly documents: DocumentStore;
}

export interface StoresConfig {
  /** Where the SQLite files go; undefined keeps everything in memory (tests). Ignored with `postgres`. */
  readonly dataDir?: string | undefined;
  /** A PostgreSQL database for everything (and the schema to keep it in, default `public`), instead of SQLite. */
  readonly postgres?: { readonly url: string; readonly schema?: string | undefined } | undefined;
  /** A Redis server for the bookings read model. */
  readonly redisUrl?: string | undefined;
}

/**
 * Opens the hotel's stores, the one place that knows which adapters back them (and so which booking locator the
 * write store applies inline: the synchronous one on SQLite and in memory, the awaiting one on PostgreSQL):
 * - with `postgres`, everything in one PostgreSQL schema, through one database handle and its one pool (several
 *   hotel processes can share the schema);
 * - with a data directory, two SQLite files, one handle each: the write side (and the read models applied
 *   inline, in its transactions) in `hotel-writes.db`, every other read model, subscriber checkpoint and side
 *   effect in `hotel-reads.db`;
 * - otherwise, all in memory.
 * With `redisUrl`, the bookings read model lives in Redis whichever of them holds the rest.
 */
export async function createStores(config: StoresConfig = {}): Promise<Stores> {
  const base = await baseStores(config);
  if (config.redisUrl === undefined) return { ...base, bookingViews: base.reads };
  let views: RedisDatabase;
  try {
    views = redis({ redis: config.redisUrl, prefix: 'hotel' });
  } catch (error) {
    await base.close();
    throw error;
  }
  return {
    ...base,
    bookingViews: views.documents,
    description: `${base.description}; the bookings read model in Redis at ${config.redisUrl}`,
    close: async () => {
      await views.close();
      await base.close();
    },
  };
}

async function baseStores(config: StoresConfig): Promise<Omit<Stores, 'bookingViews'>> {
  if (config.postgres !== undefined) {
    const schema = config.postgres.schema ?? 'public';
    const db = await postgres({ connection: config.postgres.url, schema });
    try {
      return {
        writes: db.events,
        // Inline and async read models alike are the handle's documents: inline ones commit in its transactions,
        // which are asynchronous, so the locator awaits its read there.
        inline: inlineReadModel(bookingLocatorOnPostgres, db.documents.inline, db.documents),
        reads: db.documents,
        checkpoints: db.checkpoints,
        deadLetters: db.deadLetters,
        effects: await PostgresEffectStore.open(db.pool),
        commands: db.commands,
        processes: db.processes,
        outbox: db.outbox as OutboxStore<never>,
        inbox: db.inbox,
        enqueueIn: async (tx, command) => {
          await db.commands.enqueueIn(tx as never, command);
        },
        description: `PostgreSQL, schema ${schema}`,
        close: () => db.close(),
      };
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  if (config.dataDir === undefined) {
    const inline = new MemoryDocumentStore();
    const commands = new MemoryCommandQueue();
    return {
      writes: new MemoryStore(),
      inline: inlineReadModel(bookingLocator, inline.inline, inline),
      reads: new MemoryDocumentStore(),
      checkpoints: new MemoryCheckpointStore(),
      deadLetters: new MemoryDeadLetterStore(),
      effects: new MemoryEffectStore(),
      commands,
      processes: new MemoryProcessStore(commands),
      outbox: new MemoryOutbox() as OutboxStore<never>,
      inbox: new MemoryInbox(),
      // The memory inbox has no transaction: a message's mark goes with the command being stored, or with its failure.
      enqueueIn: async (_, command) => {
        await commands.enqueue(command);
      },
      description: 'in memory',
      close: async () => {},
    };
  }
  const writesPath = join(config.dataDir, 'hotel-writes.db');
  const readsPath = join(config.dataDir, 'hotel-reads.db');
  const writes = sqlite(writesPath);
  let reads: SqliteDatabase;
  try {
    reads = sqlite(readsPath);
  } catch (error) {
    await writes.close();
    throw error;
  }
  return {
    writes: writes.events,
    // Inline read models are on the write store's handle, so that they commit in its synchronous transactions.
    inline: inlineReadModel(bookingLocator, writes.documents.inline, writes.documents),
    reads: reads.documents,
    checkpoints: reads.checkpoints,
    deadLetters: reads.deadLetters,
    effects: new SqliteEffectStore(reads.connection),
    commands: writes.commands,
    processes: writes.processes,
    outbox: writes.outbox as OutboxStore<never>,
    inbox: writes.inbox,
    // Synchronous, as the SQLite inbox's transaction wants its effect.
    enqueueIn: (tx, command) => {
      writes.commands.enqueueIn(tx as never, command);
    },
    description: `SQLite, writes in ${writesPath}, reads in ${readsPath}`,
    close: async () => {
      await reads.close();
      await writes.close();
    },
  };
}

// Pairs an inline projection with the store whose write transaction it is written for: `Tx` checks that they match.
function inlineReadModel<Tx>(
  projection: Projection<Tx>,
  store: InlineDocumentStore<unknown, Tx>,
  documents: DocumentStore,
): InlineReadModel {
  return {
    documents,
    start: async (feed) => {
      await new ProjectionRunner({ projection, store, feed }).catchUp();
      return inlineProjection(projection, store);
    },
  };
}
