// The fuzz of bench/reliability, short: requests generated from the hotel's OpenAPI document, valid and spoiled,
// with hostile strings, deep nesting, huge numbers and junk headers, over a socket, on SQLite and on PostgreSQL.
// No answer is a 5xx or a dropped connection, and a 4xx leaves the write side exactly as it was.
// RELIABILITY_FUZZ sets the requests per store (default 1,000), RELIABILITY_SEED repeats a run.
import { describe, expect, it } from 'vitest';
import { openWriteSide } from '../../../../bench/reliability/fingerprint.js';
import { runFuzz } from '../../../../bench/reliability/fuzz.js';
import { seedFromEnv, sizeFromEnv } from '../../../../bench/reliability/random.js';
import { openTarget } from '../../../../bench/reliability/target.js';
import { startHotel, TODAY } from './setup.js';

const requests = sizeFromEnv('RELIABILITY_FUZZ', 1000);

describe.each(['sqlite', 'postgres'] as const)('the hotel fuzzed on %s', (store) => {
  it('never answers 5xx, and a 4xx changes nothing on the write side', async () => {
    const target = await openTarget(store);
    const app = await startHotel({ ...target.config, consistencyTimeout: 1000 });
    const writes = await openWriteSide(target.config);
    try {
      const api = `${await app.server.listen({ port: 0, host: '127.0.0.1' })}/api`;
      const report = await runFuzz({
        api,
        requests,
        seed: seedFromEnv(),
        today: TODAY,
        writeSide: () => writes.digest(),
      });
      console.log(
        `fuzz on ${store} (seed ${report.seed}): ${report.requests} requests, by status ${JSON.stringify(report.statuses)}; ` +
          `commands ${report.commands.succeeded} done, ${report.commands.refused} refused by a rule; ${report.failures.length} failures`,
      );
      expect(report.failures).toEqual([]);
      // The run reached the write models, not only the parsers: some commands were decided, some refused by a rule.
      expect(report.commands.succeeded).toBeGreaterThan(0);
      expect(report.commands.refused).toBeGreaterThan(0);
    } finally {
      await writes.close();
      await app.close();
      await target.close();
    }
    // A thousand requests, each checked against the write side: minutes on a loaded machine.
  }, 300_000);
});
