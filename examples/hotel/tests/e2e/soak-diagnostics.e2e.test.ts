// The per-minute diagnostics of bench/reliability's soak: what each row reports beside its latencies, so that a
// minute outside the band can be matched to a cause (the hotel's event loop and CPU, the machine's load and steal,
// PostgreSQL's checkpoints and autovacuum runs).
import { startPostgres } from '@twofold/test-servers';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import {
  cpuShares,
  describeMinute,
  MinuteProbe,
  parseCpuTimes,
  postgresWork,
} from '../../../../bench/reliability/diagnostics.js';
import { runSoak } from '../../../../bench/reliability/soak.js';
import { openTarget } from '../../../../bench/reliability/target.js';

describe('the machine figures', () => {
  it("reads /proc/stat's cpu line: busy is everything but idle and I/O wait, steal its eighth figure", () => {
    const stat = 'cpu  100 20 50 800 10 3 5 35 7 0\ncpu0 50 10 25 400 5 1 2 17 0 0\nintr 1 2 3\n';
    expect(parseCpuTimes(stat)).toEqual({ total: 1023, busy: 213, steal: 35 });
  });

  it('refuses a text without a cpu line', () => {
    expect(() => parseCpuTimes('intr 1 2 3\n')).toThrow('Cannot read the cpu line of /proc/stat: intr 1 2 3');
  });

  it('gives the shares of busy and stolen ticks between two readings', () => {
    const before = { total: 1000, busy: 400, steal: 10 };
    expect(cpuShares(before, { total: 3000, busy: 1400, steal: 60 })).toEqual({ busy: 50, steal: 2.5 });
    expect(cpuShares(before, before)).toEqual({ busy: 0, steal: 0 });
  });
});

describe("PostgreSQL's background work", () => {
  it('names each table once per autovacuum or autoanalyze run between two readings, new tables from 0', () => {
    const work = postgresWork(
      { checkpoints: 3, tables: { events: { autovacuum: 1, autoanalyze: 1 } } },
      {
        checkpoints: 5,
        tables: { events: { autovacuum: 1, autoanalyze: 3 }, documents: { autovacuum: 1, autoanalyze: 0 } },
      },
    );
    expect(work).toEqual({ checkpoints: 2, autovacuum: ['documents'], autoanalyze: ['events', 'events'] });
    expect(describeMinute({ load: 1.5, cpu: { busy: 61.2, steal: 0 }, postgres: work })).toBe(
      'load 1.50, CPU 61.2% busy, 0% stolen, 2 checkpoints, autovacuum documents, autoanalyze events ×2',
    );
  });

  it("counts a server's checkpoints and the autoanalyze runs on its schema's tables", async () => {
    const server = await startPostgres({ settings: { autovacuum_naptime: 1 } });
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query('CREATE SCHEMA probed');
      await admin.query(
        'CREATE TABLE probed.notes (id int) WITH (autovacuum_analyze_threshold = 0, autovacuum_analyze_scale_factor = 0)',
      );
      await admin.query('CREATE TABLE public.elsewhere (id int)');
      const probe = await MinuteProbe.open({ url: server.url, schema: 'probed' });
      try {
        // Nothing tells when the server has counted a checkpoint or an autoanalyze run (CHECKPOINT returns before
        // the checkpointer reports its statistics): the probe is read until what it reports has moved.
        let checkpoints = 0;
        const analyzed: string[] = [];
        const until = (done: () => void) =>
          vi.waitFor(
            async () => {
              const { postgres } = await probe.next();
              checkpoints += postgres?.checkpoints ?? 0;
              analyzed.push(...(postgres?.autoanalyze ?? []));
              done();
            },
            { timeout: 60_000, interval: 100 },
          );
        await admin.query('CHECKPOINT');
        await until(() => expect(checkpoints).toBe(1));
        await admin.query('INSERT INTO probed.notes SELECT generate_series(1, 100)');
        await admin.query('INSERT INTO public.elsewhere SELECT generate_series(1, 100)');
        await until(() => expect(analyzed).toContain('notes'));
        expect(analyzed).not.toContain('elsewhere');
      } finally {
        await probe.close();
      }
    } finally {
      await admin.end();
      await server.stop();
    }
  }, 120_000);
});

describe('a short soak', () => {
  it.each(['sqlite', 'postgres'] as const)(
    "reports the hotel's event loop and CPU and the machine's on %s",
    async (store) => {
      const target = await openTarget(store);
      try {
        const report = await runSoak({ target, seconds: 4, windowSeconds: 2, rate: 20, seed: 15 });
        expect(report.windows).toHaveLength(2);
        for (const row of report.windows) {
          expect(row.requests).toBe(40);
          // A timer due in 10 ms never comes back sooner.
          expect(row.eventLoopDelay.p99).toBeGreaterThanOrEqual(10);
          expect(row.eventLoopDelay.max).toBeGreaterThanOrEqual(row.eventLoopDelay.p99);
          expect(row.hotelCpu).toBeGreaterThan(0);
          expect(row.senderCpu).toBeGreaterThan(0);
          expect(row.machine.cpu.busy).toBeGreaterThan(0);
          if (store === 'postgres') expect(row.machine.postgres?.checkpoints).toBeGreaterThanOrEqual(0);
          else expect(row.machine.postgres).toBeUndefined();
        }
      } finally {
        await target.close();
      }
    },
    120_000,
  );
});
