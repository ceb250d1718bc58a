// The soak: mixed load at a constant rate on the hotel's process for many minutes. Per minute, the process's
// RSS must stay within ±10% of the first measured minute's and the requests' p99 at most 20% (or 5 ms, whichever is
// more) above it, with no error at all.
// The minutes of warm-up before it are reported but set no baseline: a process that has just started still
// holds what loading and compiling its code left behind, so its RSS falls once the collector has run.
import type { Agent } from 'node:http';
import { addDays, today } from '../../examples/hotel/src/domain/dates.js';
import { bearer, signIn } from '../../examples/hotel/tests/e2e/setup.js';
import { describeMinute, type MachineMinute, MinuteProbe } from './diagnostics.js';
import { startHotelProcess } from './hotel-process.js';
import { json, keepAlive, send } from './http.js';
import { seeded } from './random.js';
import type { Target } from './target.js';

export interface SoakOptions {
  readonly target: Target;
  readonly seconds: number;
  /** Requests per second, sent whether or not earlier ones were answered. Default 80. */
  readonly rate?: number;
  /** The length of one row of the report. Default 60 s. */
  readonly windowSeconds?: number;
  /** Rows of load at the start that are reported but set no baseline. Default 0. */
  readonly warmupWindows?: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface SoakWindow {
  readonly minute: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly rss: number;
  /** Live JavaScript objects right after a full garbage collection at the end of the window, in bytes. */
  readonly heapUsed: number;
  /** The JavaScript heap's size then, live objects and free space. */
  readonly heapTotal: number;
  /** How long the hotel's event loop took to come back to a 10 ms timer in the window, p99 and max in ms (10: idle). */
  readonly eventLoopDelay: { readonly p99: number; readonly max: number };
  /** CPU time the hotel's process spent in the window, user and system, in ms. */
  readonly hotelCpu: number;
  /** CPU time the soak's own process (the load's sender) spent in the window, in ms. */
  readonly senderCpu: number;
  /** The machine's load and CPU, and PostgreSQL's background work, in the window. */
  readonly machine: MachineMinute;
  /** p50 and p99 of each kind of request (a command or a query, e.g. `hotel.BookRoom`), in ms. */
  readonly routes: Readonly<Record<string, { readonly requests: number; readonly p50: number; readonly p99: number }>>;
}

export interface SoakReport {
  readonly windows: readonly SoakWindow[];
  /** The first of each error kind, with how often it came. */
  readonly errors: Readonly<Record<string, number>>;
  /** Windows whose RSS or p99 left the band around the first window's after the warm-up. */
  readonly outside: readonly string[];
}

const GUESTS = 40;
const ROOMS = 30;

/**
 * Runs the soak on `target`.
 *
 * @example
 * const report = await runSoak({ target, seconds: 600, seed: 1 });
 * report.windows.map((w) => `${w.minute}: ${w.rss} B, p99 ${w.p99} ms`);
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const rate = options.rate ?? 80;
  const windowMs = (options.windowSeconds ?? 60) * 1000;
  const random = seeded(options.seed);
  const agent = keepAlive(256);
  const hotel = await startHotelProcess(options.target, 0);
  const errors: Record<string, number> = {};
  const windows: SoakWindow[] = [];
  const postgres = options.target.config.postgres;
  const probe = await MinuteProbe.open(
    postgres === undefined ? undefined : { url: postgres.url, schema: postgres.schema ?? 'public' },
  );
  try {
    const { api } = hotel;
    const manager = bearer(await signIn(api, 'soak', 'manager'));
    for (let room = 1; room <= ROOMS; room++) {
      const body = { roomId: `soak-${room}`, number: `S${room}`, type: 'double', pricePerNight: 100 };
      await command(agent, api, manager, 'hotel.RegisterRoom', body, `soak-room-${room}`);
    }
    const guests = await Promise.all(
      Array.from({ length: GUESTS }, async (_, i) => ({
        id: `soaker-${i}`,
        headers: bearer(await signIn(api, `soaker-${i}`, 'guest')),
        position: 0,
        bookings: [] as string[],
      })),
    );
    let sent = 0;
    const action = async (): Promise<string> => {
      const guest = random.pick(guests);
      const n = sent++;
      const roll = random.next();
      const after = { ...guest.headers, 'twofold-after': String(guest.position) };
      if (roll < 0.3) {
        const from = addDays(today(), random.int(1, 700));
        const body = {
          bookingId: `soak-${options.seed}-${n}`,
          roomId: `soak-${random.int(1, ROOMS)}`,
          guestId: guest.id,
          from,
          to: addDays(from, random.int(1, 3)),
        };
        const position = await command(agent, api, guest.headers, 'hotel.BookRoom', body, `soak-${n}`);
        if (position !== undefined) {
          guest.position = position;
          guest.bookings.push(body.bookingId);
        }
        return 'hotel.BookRoom';
      } else if (roll < 0.4 && guest.bookings.length > 0) {
        const bookingId = guest.bookings.splice(random.int(0, guest.bookings.length - 1), 1)[0]!;
        const position = await command(
          agent,
          api,
          guest.headers,
          'hotel.CancelBooking',
          { bookingId, reason: 'soak' },
          `soak-${n}`,
        );
        if (position !== undefined) guest.position = position;
        return 'hotel.CancelBooking';
      } else if (roll < 0.7) {
        await query(agent, `${api}/queries/hotel.GuestBookings?guestId=${guest.id}`, after);
        return 'hotel.GuestBookings';
      } else if (roll < 0.9) {
        const from = addDays(today(), random.int(1, 700));
        await query(agent, `${api}/queries/hotel.FreeRooms?from=${from}&to=${addDays(from, 2)}`, after);
        return 'hotel.FreeRooms';
      }
      await query(agent, `${api}/queries/hotel.GuestMail?guestId=${guest.id}`, after);
      return 'hotel.GuestMail';
    };

    // The first row's CPU times count from here, set-up excluded.
    let hotelCpu = cpuMs((await hotel.memory()).cpu);
    let senderCpu = cpuMs(process.cpuUsage());
    await probe.next();
    const started = performance.now();
    const fresh = () => ({ latencies: [] as number[], byRoute: new Map<string, number[]>(), errors: 0 });
    let window = fresh();
    const inFlight = new Set<Promise<void>>();
    for (let w = 0; (w + 1) * windowMs <= options.seconds * 1000; w++) {
      const end = started + (w + 1) * windowMs;
      for (let i = 0; ; i++) {
        const due = started + w * windowMs + (i * 1000) / rate;
        if (due >= end) break;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const current = window;
        const t0 = performance.now();
        const request: Promise<void> = action().then(
          (route) => {
            const took = performance.now() - t0;
            current.latencies.push(took);
            const list = current.byRoute.get(route);
            if (list === undefined) current.byRoute.set(route, [took]);
            else list.push(took);
          },
          (error: unknown) => {
            current.errors++;
            const kind = String(error instanceof Error ? error.message : error).slice(0, 200);
            errors[kind] = (errors[kind] ?? 0) + 1;
          },
        );
        const tracked = request.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, end - performance.now())));
      const done = window;
      window = fresh();
      // A window's row waits for its own stragglers, so that slow answers count where they were sent.
      await Promise.all(inFlight);
      const sorted = done.latencies.sort((a, b) => a - b);
      const routes: Record<string, { requests: number; p50: number; p99: number }> = {};
      for (const [route, latencies] of [...done.byRoute].sort(([a], [b]) => a.localeCompare(b))) {
        const own = latencies.sort((a, b) => a - b);
        routes[route] = { requests: own.length, p50: quantile(own, 0.5), p99: quantile(own, 0.99) };
      }
      const machine = await probe.next();
      const sender = cpuMs(process.cpuUsage());
      const rss = hotel.rss();
      // Taken after the row's RSS: the collection it forces must not shrink the RSS the band is about.
      const { heapUsed, heapTotal, eventLoopDelay, cpu } = await hotel.memory();
      const row: SoakWindow = {
        minute: w + 1,
        requests: sorted.length + done.errors,
        errors: done.errors,
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        rss,
        heapUsed,
        heapTotal,
        eventLoopDelay: { p99: round(eventLoopDelay.p99), max: round(eventLoopDelay.max) },
        hotelCpu: Math.round(cpuMs(cpu) - hotelCpu),
        senderCpu: Math.round(sender - senderCpu),
        machine,
        routes,
      };
      hotelCpu = cpuMs(cpu);
      senderCpu = sender;
      windows.push(row);
      options.log?.(
        `window ${row.minute}${row.minute <= (options.warmupWindows ?? 0) ? ' (warm-up)' : ''}: ${row.requests} requests, ${row.errors} errors, p50 ${row.p50} ms, p99 ${row.p99} ms, RSS ${mib(row.rss)} MiB, heap after GC ${mib(row.heapUsed)} of ${mib(row.heapTotal)} MiB`,
      );
      options.log?.(
        `  p50 / p99 by request: ${Object.entries(routes)
          .map(([route, r]) => `${route.replace(/^hotel\./, '')} ${r.p50} / ${r.p99} ms`)
          .join(', ')}`,
      );
      options.log?.(
        `  hotel event loop delay p99 ${row.eventLoopDelay.p99} ms (max ${row.eventLoopDelay.max}), hotel CPU ${row.hotelCpu} ms, sender CPU ${row.senderCpu} ms, ${describeMinute(machine)}`,
      );
    }
    await hotel.stop();
  } finally {
    await hotel.kill();
    agent.destroy();
    await probe.close();
  }
  const warmup = options.warmupWindows ?? 0;
  const first = windows[warmup];
  const outside: string[] = [];
  for (const w of windows.slice(warmup + 1)) {
    if (first === undefined) break;
    if (Math.abs(w.rss - first.rss) > 0.1 * first.rss) outside.push(`window ${w.minute}: RSS ${w.rss} vs ${first.rss}`);
    if (!withinLatencyBand(w.p99, first.p99)) outside.push(`window ${w.minute}: p99 ${w.p99} vs ${first.p99} ms`);
  }
  return { windows, errors, outside };
}

/**
 * Whether a p99 is at most 20% above a baseline, or 5 ms when that is more: on a 2-core machine one collector pause
 * or WAL checkpoint moves a p99 of a few milliseconds by more than 20%, while latency that grows with the data
 * leaves both bounds behind. A p99 below the baseline is never a failure.
 */
export function withinLatencyBand(p99: number, baseline: number): boolean {
  return p99 <= Math.max(baseline * 1.2, baseline + 5);
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const round = (ms: number) => Math.round(ms * 10) / 10;
const cpuMs = ({ user, system }: { user: number; system: number }) => (user + system) / 1000;

/** The `q` quantile of ascending `sorted` latencies, in ms to one decimal; 0 when there are none. */
function quantile(sorted: readonly number[], q: number): number {
  const at = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return Math.round(at * 10) / 10;
}

/** Sends a command; its position, or undefined when a domain rule refused it. Anything else is an error. */
async function command(
  agent: Agent,
  api: string,
  headers: Readonly<Record<string, string>>,
  type: string,
  body: unknown,
  key: string,
): Promise<number | undefined> {
  const answer = await send(agent, {
    method: 'POST',
    url: `${api}/commands/${type}`,
    headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  if (answer.status === 200) return json<{ position: number }>(answer).position;
  if (answer.status === 422 && answer.body.includes('"rule"')) return undefined;
  throw new Error(`${type}: ${answer.status} ${answer.body.slice(0, 200)}`);
}

async function query(agent: Agent, url: string, headers: Readonly<Record<string, string>>): Promise<void> {
  const answer = await send(agent, { method: 'GET', url, headers });
  if (answer.status !== 200)
    throw new Error(`${url.replace(/^.*\/queries\//, '')}: ${answer.status} ${answer.body.slice(0, 200)}`);
}
