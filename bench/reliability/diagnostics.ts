// What else happened in a soak's minute, so that a minute outside the band can be matched to a cause: the
// machine's load and the CPU time taken from it (steal), and on PostgreSQL the checkpoints and the autovacuum and
// autoanalyze runs. Each but the load average is a counter read at the window's ends; a row is the difference.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';

/** The machine's CPU time so far, in clock ticks, from the `cpu` line of /proc/stat. */
export interface CpuTimes {
  /** Every tick, idle ones included. */
  readonly total: number;
  /** Ticks neither idle nor waiting on I/O. */
  readonly busy: number;
  /** Ticks the hypervisor gave to another machine while this one had work. */
  readonly steal: number;
}

/**
 * Reads the `cpu` line of /proc/stat's text: user nice system idle iowait irq softirq steal (guest and guest_nice
 * are inside user and nice already).
 *
 * @example
 * parseCpuTimes('cpu  100 0 50 800 10 0 5 35 0 0\n') // { total: 1000, busy: 190, steal: 35 }
 */
export function parseCpuTimes(stat: string): CpuTimes {
  const line = /^cpu\s+([\d\s]+)$/m.exec(stat)?.[1];
  const ticks = line?.trim().split(/\s+/).map(Number) ?? [];
  if (ticks.length < 8) throw new Error(`Cannot read the cpu line of /proc/stat: ${stat.slice(0, 120)}`);
  const [, , , idle = 0, iowait = 0, , , steal = 0] = ticks;
  const total = ticks.slice(0, 8).reduce((sum, t) => sum + t, 0);
  return { total, busy: total - idle - iowait, steal };
}

/** The share of the machine's ticks between two readings that were busy and that were stolen, in %. */
export function cpuShares(before: CpuTimes, after: CpuTimes): { busy: number; steal: number } {
  const total = after.total - before.total;
  const share = (ticks: number) => (total <= 0 ? 0 : Math.round((1000 * ticks) / total) / 10);
  return { busy: share(after.busy - before.busy), steal: share(after.steal - before.steal) };
}

/** PostgreSQL's counters of background work so far. */
export interface PostgresCounters {
  /** Checkpoints started, timed and requested (`pg_stat_bgwriter`). */
  readonly checkpoints: number;
  /** Per table of the schema, its autovacuum and autoanalyze runs (`pg_stat_user_tables`). */
  readonly tables: Readonly<Record<string, { readonly autovacuum: number; readonly autoanalyze: number }>>;
}

/** The background work between two readings: checkpoints, and each table's autovacuum and autoanalyze runs. */
export interface PostgresWork {
  readonly checkpoints: number;
  readonly autovacuum: readonly string[];
  readonly autoanalyze: readonly string[];
}

/**
 * What PostgreSQL did in the background between two readings; a table the first reading lacks counts from 0.
 *
 * @example
 * postgresWork(
 *   { checkpoints: 3, tables: { events: { autovacuum: 0, autoanalyze: 1 } } },
 *   { checkpoints: 4, tables: { events: { autovacuum: 0, autoanalyze: 2 } } },
 * ) // { checkpoints: 1, autovacuum: [], autoanalyze: ['events'] }
 */
export function postgresWork(before: PostgresCounters, after: PostgresCounters): PostgresWork {
  const autovacuum: string[] = [];
  const autoanalyze: string[] = [];
  for (const [table, now] of Object.entries(after.tables).sort(([a], [b]) => a.localeCompare(b))) {
    const then = before.tables[table] ?? { autovacuum: 0, autoanalyze: 0 };
    for (let i = then.autovacuum; i < now.autovacuum; i++) autovacuum.push(table);
    for (let i = then.autoanalyze; i < now.autoanalyze; i++) autoanalyze.push(table);
  }
  return { checkpoints: after.checkpoints - before.checkpoints, autovacuum, autoanalyze };
}

/** What a soak's row reports beside its latencies. */
export interface MachineMinute {
  /** The 1-minute load average at the window's end. */
  readonly load: number;
  /** The machine's busy and stolen CPU in the window, in % of all its cores' time. */
  readonly cpu: { readonly busy: number; readonly steal: number };
  /** On PostgreSQL, its background work in the window. */
  readonly postgres: PostgresWork | undefined;
}

/** Reads the machine's counters, and PostgreSQL's when given its URL, at each window's end. */
export class MinuteProbe {
  readonly #client: pg.Client | undefined;
  readonly #schema: string;
  #cpu: CpuTimes = readCpuTimes();
  #postgres: PostgresCounters | undefined;

  private constructor(client: pg.Client | undefined, schema: string) {
    this.#client = client;
    this.#schema = schema;
  }

  /**
   * Starts counting now.
   *
   * @example
   * const probe = await MinuteProbe.open({ url, schema: 'hotel' });
   * const minute = await probe.next();
   * await probe.close();
   */
  static async open(postgres?: { url: string; schema: string }): Promise<MinuteProbe> {
    if (postgres === undefined) return new MinuteProbe(undefined, '');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const probe = new MinuteProbe(client, postgres.schema);
    probe.#postgres = await probe.#readPostgres();
    probe.#cpu = readCpuTimes();
    return probe;
  }

  /** What happened since the reading before. */
  async next(): Promise<MachineMinute> {
    const cpu = readCpuTimes();
    const shares = cpuShares(this.#cpu, cpu);
    this.#cpu = cpu;
    let postgres: PostgresWork | undefined;
    if (this.#client !== undefined && this.#postgres !== undefined) {
      const now = await this.#readPostgres();
      postgres = postgresWork(this.#postgres, now);
      this.#postgres = now;
    }
    return { load: Math.round(loadavg()[0]! * 100) / 100, cpu: shares, postgres };
  }

  async close(): Promise<void> {
    await this.#client?.end();
  }

  async #readPostgres(): Promise<PostgresCounters> {
    const client = this.#client!;
    // A backend keeps the statistics it read for its transaction; each reading is its own transaction.
    const bgwriter = await client.query<{ n: string }>(
      'SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter',
    );
    const rows = await client.query<{ relname: string; autovacuum_count: string; autoanalyze_count: string }>(
      'SELECT relname, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables WHERE schemaname = $1',
      [this.#schema],
    );
    const tables: Record<string, { autovacuum: number; autoanalyze: number }> = {};
    for (const row of rows.rows)
      tables[row.relname] = { autovacuum: Number(row.autovacuum_count), autoanalyze: Number(row.autoanalyze_count) };
    return { checkpoints: Number(bgwriter.rows[0]!.n), tables };
  }
}

function readCpuTimes(): CpuTimes {
  return parseCpuTimes(readFileSync('/proc/stat', 'utf8'));
}

/**
 * A row's diagnostics as the soak prints them.
 *
 * @example
 * describeMinute({ load: 1.5, cpu: { busy: 61.2, steal: 0 }, postgres: undefined }) // 'load 1.50, CPU 61.2% busy, 0% stolen'
 */
export function describeMinute(minute: MachineMinute): string {
  const parts = [`load ${minute.load.toFixed(2)}`, `CPU ${minute.cpu.busy}% busy, ${minute.cpu.steal}% stolen`];
  const work = minute.postgres;
  if (work !== undefined) {
    parts.push(`${work.checkpoints} checkpoints`);
    parts.push(`autovacuum ${tally(work.autovacuum)}`, `autoanalyze ${tally(work.autoanalyze)}`);
  }
  return parts.join(', ');
}

function tally(tables: readonly string[]): string {
  if (tables.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const t of tables) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].map(([t, n]) => (n === 1 ? t : `${t} ×${n}`)).join(' ');
}
