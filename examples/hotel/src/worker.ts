// A command worker process: `npm run worker` in examples/hotel. It opens the app's stores as `npm start` does (the
// same environment: DATABASE_URL, DATA_DIR, NATS_URL) and runs the commands queued with `Prefer: respond-async`,
// beside the app and any number of other workers: hotel.ReplayDeadLetter too, asking billing over NATS when
// NATS_URL is set, otherwise replaying billing's dead letters in `billing.db` in DATA_DIR, the file the app's
// in-process billing keeps, which the worker never creates. SIGTERM or SIGINT stops it: it claims nothing more,
// lets the commands it runs finish (10 s at most, then gives them back to the queue), closes the stores and exits.
import { fileURLToPath } from 'node:url';
import { CommandWorker } from '@twofold/core';
import { billingDeadLetters } from './app/billing-link.js';
import { createCommandSide } from './app/hotel.js';
import { stopOnSignals } from './app/signals.js';
import { storesConfigFromEnv } from './app/storage-env.js';
import { createStores } from './app/stores.js';
import { holdMsFromEnv } from './holds/hold-time.js';
import { registerDeadLetters } from './services/dead-letters.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// The worker writes; the read models stay with the app, so Redis is not this process's business.
const { redisUrl: _, ...config } = storesConfigFromEnv(process.env, root);
// Bookings it runs are held as long as the app's: the same HOLD_MINUTES.
const holdMs = holdMsFromEnv(process.env);
const stores = await createStores(config);
const mediator = await createCommandSide(stores, holdMs === undefined ? {} : { holdMs });
const deadLetters = await billingDeadLetters(stores, {
  natsUrl: process.env.NATS_URL || undefined,
  dataDir: config.dataDir,
});
registerDeadLetters(mediator, deadLetters.sources);
const worker = new CommandWorker({ store: stores.commands, mediator }).start();
console.log(`Twofold Hotel worker ${process.pid}: running queued commands`);
console.log(`  storage: ${stores.description}`);

stopOnSignals(async () => {
  await worker.stop();
  await deadLetters.close();
  await stores.close();
});
