import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queueCrashTest } from '@twofold/test-servers';
import { tempDir } from './temp-dir.js';

const temp = tempDir();

// Workers in other processes on the file learn of new commands at their next poll.
queueCrashTest({
  storeModule: join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'queue-store.ts'),
  storeArgs: () => [temp.file('queue-crash')],
  pollIntervalMs: 50,
});
