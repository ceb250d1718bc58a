// The kill loop of bench/reliability, short: on SQLite and on PostgreSQL, the hotel's process is killed with
// SIGKILL at random moments while 20 guests book and cancel, and restarted on the same data. Nothing it
// acknowledged is lost, no side effect happens twice, no night is booked twice. RELIABILITY_KILLS sets the kills
// per store (default 10), RELIABILITY_SEED repeats a run.
import { describe, expect, it } from 'vitest';
import { runKillLoop } from '../../../../bench/reliability/kill-loop.js';
import { seedFromEnv, sizeFromEnv } from '../../../../bench/reliability/random.js';
import { openTarget } from '../../../../bench/reliability/target.js';

const kills = sizeFromEnv('RELIABILITY_KILLS', 10);

describe.each(['sqlite', 'postgres'] as const)('the hotel killed on %s', (store) => {
  it('keeps every acknowledged command, sends every side effect once, and never books a night twice', async () => {
    const target = await openTarget(store);
    try {
      const report = await runKillLoop({ target, kills, seed: seedFromEnv() });
      console.log(
        `kill loop on ${store} (seed ${report.seed}): ${report.kills} kills, ${report.acknowledged.bookings} bookings, ` +
          `${report.acknowledged.confirmations} confirmations and ` +
          `${report.acknowledged.cancellations} cancellations acknowledged, ${report.resent} requests resent after a kill, ` +
          `refused ${JSON.stringify(report.refused)}; ${report.events} events; lost ${report.lost.length}, ` +
          `duplicate effects ${report.duplicates.length}, overlaps ${report.overlaps.length}, unexpected answers ${report.unexpected.length}`,
      );
      expect(report.unexpected).toEqual([]);
      expect(report.lost).toEqual([]);
      expect(report.duplicates).toEqual([]);
      expect(report.overlaps).toEqual([]);
      // The load reached the write models across the kills: many bookings, some confirmations and cancellations,
      // some cut off.
      expect(report.acknowledged.bookings).toBeGreaterThan(kills);
      expect(report.acknowledged.confirmations).toBeGreaterThan(0);
      expect(report.acknowledged.cancellations).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  }, 600_000);
});
