import { join } from 'node:path';
import { billingReplies } from '../cancellation/replies.js';
import { type Billing, createBilling } from '../services/billing/service.js';
import { natsTransport } from '../services/nats-transport.js';
import { embeddedTransport, type Receiver, type Transport } from '../services/transport.js';
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
  /** The receivers whose dead letters the hotel sees and replays: its own, and billing's when it runs in this process. */
  readonly receivers: readonly Receiver[];
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
      receivers: [hotel.receiver],
      start: () => transport.start(),
      stop: () => transport.stop(),
    };
  }
  const billing = createBilling(options.dataDir === undefined ? ':memory:' : join(options.dataDir, 'billing.db'));
  const transport: Transport = embeddedTransport(hotel, billing);
  return {
    billing,
    receivers: [hotel.receiver, billing.receiver],
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
