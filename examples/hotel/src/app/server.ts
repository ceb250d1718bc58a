import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import { CommandWorker } from '@twofold/core';
import { type ServerLimits, serverOptions, twofoldHttp } from '@twofold/http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { holdTime } from '../holds/hold-time.js';
import { createIdentity, type IdentityOptions } from '../identity/identity.js';
import { canReadCommand } from '../identity/permissions.js';
import { sessionRoute } from '../identity/session-route.js';
import { registerDeadLetters } from '../services/dead-letters.js';
import { type BillingLink, connectBilling } from './billing-link.js';
import { createHotel, type Hotel, type HotelOptions } from './hotel.js';
import { seed } from './seed.js';
import { createStores, type Stores, type StoresConfig } from './stores.js';

export interface AppOptions extends StoresConfig, HotelOptions {
  /** The built web UI to serve at `/`; none when it is missing. */
  readonly uiDir?: string | undefined;
  /** Register the demo rooms and bookings. Default: true. */
  readonly seed?: boolean;
  readonly logger?: FastifyServerOptions['logger'];
  /** Largest request body in bytes. Default: 64 KiB, far above any hotel command. */
  readonly bodyLimit?: number;
  /** Where tokens come from. Default: the demo sign-in at `POST /api/session`, signed with a stored secret. */
  readonly identity?: IdentityOptions;
  /** Caps on connections and their timeouts; see `serverOptions` in @twofold/http for the defaults. */
  readonly limits?: ServerLimits;
  /**
   * Command workers in this process, running the commands queued with `Prefer: respond-async`. Default: 1; 0 leaves
   * them to worker processes (`npm run worker`).
   */
  readonly workers?: number;
  /** NATS JetStream's URL: billing runs as a process of its own, reached through it. Default: billing in-process. */
  readonly natsUrl?: string | undefined;
}

/** The running hotel: its HTTP server, its application and its stores. */
export interface App {
  readonly server: FastifyInstance;
  readonly hotel: Hotel;
  readonly stores: Stores;
  /** The link to billing, with billing itself when it runs in this process. */
  readonly billing: BillingLink;
  /** Stops taking requests, stops the read side, and closes the stores. */
  close(): Promise<void>;
}

/**
 * Builds the hotel's HTTP server: the API under `/api` (commands by POST, queries by GET, OpenAPI at
 * `/api/openapi.json`, docs at `/api/docs`), the demo sign-in at `/api/session` unless tokens come from an
 * external issuer, and the web UI at `/`. Requests authenticate with `Authorization: Bearer <token>`. Commands
 * sent with `Prefer: respond-async` are queued in `stores.commands`, for the `workers` of this process and of
 * worker processes. The read side is started and the demo data seeded before it resolves.
 */
export async function createApp(options: AppOptions = {}): Promise<App> {
  // Checked before anything opens, so that a bad limit leaves no store behind.
  const limited = serverOptions(options.limits);
  const workerCount = options.workers ?? 1;
  if (!Number.isSafeInteger(workerCount) || workerCount < 0) {
    throw new Error(`workers must be a whole number >= 0; got ${String(options.workers)}`);
  }
  holdTime(options.holdMs);
  const stores = await createStores(options);
  const hotel = await createHotel(stores, options);
  let billing: BillingLink;
  try {
    billing = await connectBilling(stores, { natsUrl: options.natsUrl, dataDir: options.dataDir });
    registerDeadLetters(hotel.mediator, billing.deadLetters);
  } catch (error) {
    await stores.close();
    throw error;
  }
  hotel.start();
  await billing.start();
  const server = Fastify({ logger: options.logger ?? false, ...limited });
  try {
    if (options.seed ?? true) await seed(hotel.mediator, (options.clock ?? Date.now)());
    const identity = await createIdentity(stores.writes, options.identity);
    if (identity.signIn !== undefined) await server.register(sessionRoute(identity.signIn), { prefix: '/api' });
    await server.register(twofoldHttp, {
      prefix: '/api',
      mediator: hotel.mediator,
      authenticate: identity.authenticate,
      queue: stores.commands,
      canReadCommand,
      bodyLimit: options.bodyLimit ?? 65_536,
      info: {
        title: 'Twofold Hotel',
        version: '0.1.0',
        description: `Book and cancel hotel rooms: the Twofold reference application. Every command and query but hotel.FreeRooms needs \`Authorization: Bearer <token>\` with the role that allows it (guest, frontdesk or manager). ${
          identity.signIn === undefined
            ? 'Tokens come from the identity provider this hotel is configured with.'
            : 'The demo sign-in hands one out: POST /api/session with {"user": "ada", "role": "guest"} answers {"token"}.'
        }`,
      },
    });
    if (options.uiDir !== undefined && existsSync(options.uiDir)) {
      await server.register(fastifyStatic, { root: options.uiDir, prefix: '/' });
    } else {
      server.get('/', async (_request, reply) =>
        reply.type('text/plain').send('The web UI is not built: run `npm run build` in examples/hotel.\n'),
      );
    }
    await server.ready();
  } catch (error) {
    await billing.stop();
    await hotel.stop();
    await stores.close();
    throw error;
  }
  const workers = Array.from({ length: workerCount }, () =>
    new CommandWorker({ store: stores.commands, mediator: hotel.mediator }).start(),
  );
  let closing: Promise<void> | undefined;
  return {
    server,
    hotel,
    stores,
    billing,
    close: () => {
      closing ??= (async () => {
        await server.close();
        await Promise.all(workers.map((worker) => worker.stop()));
        await billing.stop();
        await hotel.stop();
        await stores.close();
      })();
      return closing;
    },
  };
}
