// Starts the hotel: `npm start` at the root builds the web UI, then runs this.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limitsFromEnv } from './app/limits.js';
import { createApp } from './app/server.js';
import { stopOnSignals } from './app/signals.js';
import { storesConfigFromEnv } from './app/storage-env.js';
import { holdMsFromEnv } from './holds/hold-time.js';
import type { IdentityOptions } from './identity/identity.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? 'localhost';

// Tokens from an external issuer (JWT_PUBLIC_KEY, a PEM whose line breaks may be written `\n`, and JWT_ISSUER)
// turn the demo sign-in off; JWT_SECRET signs the demo's tokens instead of the secret stored in the database.
function identity(): IdentityOptions {
  const { JWT_PUBLIC_KEY, JWT_ISSUER, JWT_AUDIENCE, JWT_SECRET } = process.env;
  if (JWT_PUBLIC_KEY) {
    if (!JWT_ISSUER) throw new Error('JWT_PUBLIC_KEY needs JWT_ISSUER: the issuer whose tokens the hotel accepts');
    return {
      publicKey: JWT_PUBLIC_KEY.replaceAll('\\n', '\n'),
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE || undefined,
    };
  }
  return { secret: JWT_SECRET || undefined };
}

const holdMs = holdMsFromEnv(process.env);
const app = await createApp({
  // DATABASE_URL puts everything in PostgreSQL, DATA_DIR moves the SQLite files; `npm run worker` reads the same.
  ...storesConfigFromEnv(process.env, root),
  // WORKERS: the command workers in this process (default 1; 0 leaves queued commands to `npm run worker`).
  ...(process.env.WORKERS ? { workers: Number(process.env.WORKERS) } : {}),
  // HOLD_MINUTES: how long a booking is held for its guest to confirm it (default 15).
  ...(holdMs === undefined ? {} : { holdMs }),
  // NATS_URL: billing is a process of its own (`npm run billing`), reached over JetStream; otherwise it runs here.
  natsUrl: process.env.NATS_URL || undefined,
  uiDir: join(root, 'dist', 'ui'),
  identity: identity(),
  logger: { level: process.env.LOG_LEVEL ?? 'warn' },
  // Connection caps and timeouts (MAX_CONNECTIONS, HEADERS_TIMEOUT_MS…): the README lists every variable.
  limits: limitsFromEnv(process.env),
});
await app.server.listen({ port, host });
const { port: bound } = app.server.server.address() as { port: number };
console.log(`Twofold Hotel: http://localhost:${bound}  (API docs: http://localhost:${bound}/api/docs)`);
console.log(`  storage: ${app.stores.description}`);
console.log(`  billing: ${process.env.NATS_URL ? `over NATS at ${process.env.NATS_URL}` : 'in this process'}`);
console.log(
  process.env.JWT_PUBLIC_KEY
    ? `  identity: tokens of ${process.env.JWT_ISSUER}`
    : '  identity: demo sign-in at POST /api/session (no password)',
);

// Whatever still holds the event loop after a clean close gets 5 s, then the process leaves anyway.
stopOnSignals(() => app.close(), 5000);
