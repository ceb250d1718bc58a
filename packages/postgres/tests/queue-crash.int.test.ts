import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queueCrashTest } from '@twofold/test-servers';
import { usePostgres } from './server.js';

const server = usePostgres();

// A NOTIFY wakes the workers of every node; the poll is the fallback.
queueCrashTest({
  storeModule: join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'queue-store.ts'),
  storeArgs: () => [server.url, server.schema()],
  pollIntervalMs: 1_000,
});
