import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '@twofold/core';
import { type SqliteDatabase, sqlite } from '@twofold/sqlite';
import { billingReplies } from '../cancellation/replies.js';
import { type Billing, billingReceiver, createBilling } from '../services/billing/service.js';
import { type DeadLetterSource, localDeadLetters } from '../services/dead-letters.js';
import { connectDeadLetters } from '../services/nats-dead-letters.js';
import { natsTransport } from '../services/nats-transport.js';
import { embeddedTransport, type Transport } from '../services/transport.js';
import type { Stores } from './stores.js';

/** How the hotel reaches billing. */
export interface BillingOptions {
  /**
   * NATS JetStream: the hotel's events go out through it and billing's replies come back through it, billing
   * running as a process of its own (`npm run billing`). Without it, billing runs in this process.
   */
  readonly natsUrl?: string | undefined;
  /** Where the in-process billing keeps `billing.db`; in memory without it. */
  readonly dataDir?: string | undefined;
}

/** The hotel's connection to billing, and billing itself when it runs in this process. */
export interface BillingLink {
  /** The in-process billing service; undefined over NATS, where billing is a process of its own. */
  readonly billing: Billing | undefined;
  /**
   * The dead letters the hotel sees and replays: its own receiver's, and billing's, in this process or asked over
   * NATS.
   */
  readonly deadLetters: readonly DeadLetterSource[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Connects the hotel's outbox and inbox to billing: over NATS JetStream with `natsUrl`, otherwise to a billing
 * service in this process, on its own SQLite file, through the in-process transport.
 *
 * @example
 * const link = await connectBilling(stores, { dataDir: 'data' });
 * await link.start();
 */
export async function connectBilling(stores: Stores, options: BillingOptions = {}): Promise<BillingLink> {
  const hotel = { outbox: stores.outbox, receiver: billingReplies(stores) };
  if (options.natsUrl !== undefined) {
    const transport = await natsTransport(options.natsUrl, 'hotel', hotel);
    return {
      billing: undefined,
      deadLetters: [localDeadLetters(hotel.receiver), transport.peer],
      start: () => transport.start(),
      stop: () => transport.stop(),
    };
  }
  const billing = createBilling(options.dataDir === undefined ? ':memory:' : join(options.dataDir, 'billing.db'));
  const transport: Transport = embeddedTransport(hotel, billing);
  return {
    billing,
    deadLetters: [localDeadLetters(hotel.receiver), localDeadLetters(billing.receiver)],
    start: async () => {
      billing.start();
      await transport.start();
    },
    stop: async () => {
      await transport.stop();
      await billing.close();
    },
  };
}

/**
 * The same dead letters as {@link connectBilling}'s, for a process that runs no link to billing (a worker
 * process): the hotel's own in `stores`, and billing's asked over NATS with `natsUrl`, otherwise in `billing.db`
 * in `dataDir`, the file the app's in-process billing keeps (whose worker runs what a replay enqueues there).
 * Without `natsUrl` it never creates that file: until the app's billing has, billing's dead letters are
 * UNAVAILABLE, saying so. `close()` lets go of the connection or the file.
 *
 * @example
 * const deadLetters = await billingDeadLetters(stores, { dataDir: 'data' });
 * registerDeadLetters(mediator, deadLetters.sources);
 */
export async function billingDeadLetters(
  stores: Stores,
  options: { readonly natsUrl?: string | undefined; readonly dataDir: string },
): Promise<{ readonly sources: readonly DeadLetterSource[]; close(): Promise<void> }> {
  const hotel = localDeadLetters(billingReplies(stores));
  if (options.natsUrl !== undefined) {
    const billing = connectDeadLetters(options.natsUrl, 'billing');
    return { sources: [hotel, billing.source], close: () => billing.close() };
  }
  const path = join(options.dataDir, 'billing.db');
  // Opened at the first request that finds the file: a store of billing's own here would be one that no billing
  // reads.
  let opened: { readonly db: SqliteDatabase; readonly source: DeadLetterSource } | undefined;
  const billing = (): DeadLetterSource => {
    if (opened === undefined) {
      if (!existsSync(path)) {
        throw new UnavailableError(
          `billing keeps no billing.db in ${options.dataDir}: without NATS_URL, billing runs in the app's process on the same DATA_DIR, and is not running there (or give this process the app's NATS_URL)`,
        );
      }
      const db = sqlite(path);
      opened = { db, source: localDeadLetters(billingReceiver(db)) };
    }
    return opened.source;
  };
  return {
    sources: [
      hotel,
      { consumer: 'billing', list: async (page) => billing().list(page), replay: async (id) => billing().replay(id) },
    ],
    close: async () => opened?.db.close(),
  };
}
