// The kill loop: the hotel's process is killed with SIGKILL at random moments while guests book and cancel
// concurrently, and restarted on the same data. A request cut by a kill is sent again with its Idempotency-Key,
// as a client that never saw the answer does. At the end, every acknowledged command must be in the log at the
// position it was acknowledged with, every event's side effects there exactly once, and no night booked twice.
import type { Agent } from 'node:http';
import { addDays, today } from '../../examples/hotel/src/domain/dates.js';
import { bearer, signIn } from '../../examples/hotel/tests/e2e/setup.js';
import { type Acknowledged, type Audit, auditHotel } from './audit.js';
import { type HotelProcess, type LoadedHotel, loadHotelProcess } from './hotel-process.js';
import { type Answer, json, keepAlive, send, TransportError } from './http.js';
import { type Random, seeded } from './random.js';
import type { StoreName, Target } from './target.js';

export interface KillLoopOptions {
  readonly target: Target;
  readonly kills: number;
  readonly seed: number;
  /** Guests sending commands at once. Default 20. */
  readonly clients?: number;
  /** A kill comes after a random number of answers, from 1 up to this. Default 60. */
  readonly maxAnswersPerRun?: number;
  readonly log?: (line: string) => void;
}

export interface KillLoopReport extends Audit {
  readonly store: StoreName;
  readonly seed: number;
  readonly kills: number;
  readonly acknowledged: { readonly bookings: number; readonly confirmations: number; readonly cancellations: number };
  /** 422 answers by problem code: the calendar refusing a taken night, for instance. */
  readonly refused: Readonly<Record<string, number>>;
  /** Requests a kill cut off, sent again to the next process with their Idempotency-Key. */
  readonly resent: number;
  /** Answers no command should get (5xx, or a 4xx other than 422), and failures on a process nobody killed. */
  readonly unexpected: readonly string[];
}

/** One command a guest wants to send, kept until some process answers it. */
interface Pending {
  readonly type: 'hotel.BookRoom' | 'hotel.ConfirmBooking' | 'hotel.CancelBooking';
  readonly data: Readonly<Record<string, string>>;
  readonly key: string;
  resent: boolean;
}

/**
 * Runs the kill loop on `target` and audits what it left.
 *
 * @example
 * const report = await runKillLoop({ target, kills: 10, seed: 1 });
 * expect(report.lost).toEqual([]);
 */
export async function runKillLoop(options: KillLoopOptions): Promise<KillLoopReport> {
  const { target, kills, seed } = options;
  const random = seeded(seed);
  const agent = keepAlive(options.clients ?? 20);
  const servers = new Servers();
  const acknowledged: Acknowledged[] = [];
  const refused: Record<string, number> = {};
  const unexpected: string[] = [];
  let resent = 0;
  let stopping = false;

  const guest = async (index: number) => {
    let server = await servers.next(0);
    const user = `guest-${index}`;
    let credentials: Record<string, string> | undefined;
    while (credentials === undefined) {
      try {
        credentials = bearer(await signIn(server.api, user, 'guest'));
      } catch (error) {
        if (!servers.killed(server.generation)) throw error;
        server = await servers.next(server.generation);
      }
    }
    const bookings: Bookings = { held: [], confirmed: [] };
    let pending: Pending | undefined;
    for (let n = 0; ; n++) {
      if (pending === undefined) {
        if (stopping) return;
        pending = nextCommand(random, { guestId: user, id: `${seed}-${index}-${n}`, bookings });
      }
      let answer: Answer;
      try {
        answer = await send(agent, {
          method: 'POST',
          url: `${server.api}/commands/${pending.type}`,
          headers: { ...credentials, 'content-type': 'application/json', 'idempotency-key': pending.key },
          body: JSON.stringify(pending.data),
        });
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        if (!servers.killed(server.generation)) unexpected.push(`${error.message} (the process was not killed)`);
        if (!pending.resent) resent++;
        pending.resent = true;
        server = await servers.next(server.generation);
        continue;
      }
      servers.answered();
      if (answer.status === 200) {
        const { position } = json<{ position: number }>(answer);
        const { bookingId, ...data } = pending.data;
        const type = EVENT_OF[pending.type];
        acknowledged.push({ type, bookingId: bookingId!, position, data: type === 'hotel.RoomBooked' ? data : {} });
        if (type === 'hotel.RoomBooked') bookings.held.push(bookingId!);
        if (type === 'hotel.BookingConfirmed') bookings.confirmed.push(bookingId!);
      } else if (answer.status === 422) {
        const code = json<{ rule?: string; code?: string }>(answer);
        const name = code.rule ?? code.code ?? 'unknown';
        refused[name] = (refused[name] ?? 0) + 1;
      } else {
        unexpected.push(`${pending.type} ${JSON.stringify(pending.data)}: ${answer.status} ${answer.body}`);
      }
      pending = undefined;
    }
  };

  const guests = Array.from({ length: options.clients ?? 20 }, (_, i) => guest(i));
  // However a guest fails, the loop below must not wait for answers that will never come.
  const failed = Promise.race(guests.map((g) => g.then(() => new Promise<never>(() => {}))));
  let hotel: HotelProcess | undefined;
  // The next process loads its code while the current one runs, so that a restart costs only the start.
  let next: Promise<LoadedHotel> | undefined;
  const load = () => {
    const loading = loadHotelProcess(target, 0);
    loading.catch(() => {});
    return loading;
  };
  try {
    next = load();
    for (let kill = 1; kill <= kills; kill++) {
      hotel = await (await next).start();
      next = load();
      servers.up(hotel.api);
      await Promise.race([servers.answers(random.int(1, options.maxAnswersPerRun ?? 60)), failed]);
      servers.kill();
      await hotel.kill();
      options.log?.(`kill ${kill}/${kills}: ${acknowledged.length} acknowledged so far`);
    }
    hotel = await (await next).start();
    next = undefined;
    servers.up(hotel.api);
    stopping = true;
    await Promise.all(guests);
    await waitForReadSide(agent, hotel.api);
    await waitForCancellations(agent, hotel.api);
    await hotel.stop();
  } finally {
    stopping = true;
    await hotel?.kill();
    await next?.then(
      (spare) => spare.discard(),
      () => {},
    );
    agent.destroy();
  }
  const audit = await auditHotel(target.config, acknowledged);
  return {
    store: target.store,
    seed,
    kills,
    acknowledged: {
      bookings: acknowledged.filter((a) => a.type === 'hotel.RoomBooked').length,
      confirmations: acknowledged.filter((a) => a.type === 'hotel.BookingConfirmed').length,
      cancellations: acknowledged.filter((a) => a.type === 'hotel.BookingCancelled').length,
    },
    refused,
    resent,
    unexpected,
    ...audit,
  };
}

/** The event each command of the loop records. */
const EVENT_OF = {
  'hotel.BookRoom': 'hotel.RoomBooked',
  'hotel.ConfirmBooking': 'hotel.BookingConfirmed',
  'hotel.CancelBooking': 'hotel.BookingCancelled',
} as const;

/** A guest's bookings that are still theirs to act on: held (to confirm or cancel), and confirmed (to cancel). */
interface Bookings {
  readonly held: string[];
  readonly confirmed: string[];
}

/**
 * Books a stay in one of the demo rooms (held until confirmed), confirms one of the guest's held bookings (a third of
 * the time there is one), or cancels one of their confirmed bookings (a quarter of the time).
 */
function nextCommand(
  random: Random,
  { guestId, id, bookings }: { guestId: string; id: string; bookings: Bookings },
): Pending {
  const { held, confirmed } = bookings;
  if (held.length > 0 && random.next() < 1 / 3) {
    const [bookingId] = held.splice(random.int(0, held.length - 1), 1);
    return { type: 'hotel.ConfirmBooking', data: { bookingId: bookingId! }, key: `f-${id}`, resent: false };
  }
  if (confirmed.length > 0 && random.next() < 0.25) {
    const [bookingId] = confirmed.splice(random.int(0, confirmed.length - 1), 1);
    return {
      type: 'hotel.CancelBooking',
      data: { bookingId: bookingId!, reason: 'kill loop' },
      key: `c-${id}`,
      resent: false,
    };
  }
  const from = addDays(today(), random.int(1, 700));
  const data = {
    bookingId: `k-${id}`,
    roomId: random.pick(['101', '102', '103', '201', '202', '301']),
    guestId,
    from,
    to: addDays(from, random.int(1, 3)),
  };
  return { type: 'hotel.BookRoom', data, key: `b-${id}`, resent: false };
}

/** Waits until every projection and subscriber has passed the head of the log, through the queries that read them. */
async function waitForReadSide(agent: Agent, api: string): Promise<void> {
  const manager = bearer(await signIn(api, 'audit', 'manager'));
  const latest = await send(agent, {
    method: 'GET',
    url: `${api}/queries/hotel.RecentEvents?limit=1`,
    headers: manager,
  });
  const head = json<{ result: { items: { position: number }[] } }>(latest).result.items[0]?.position ?? 0;
  const after = { ...manager, 'twofold-after': String(head) };
  const future = addDays(today(), 1);
  for (const query of [
    'hotel.BookingDetails?bookingId=none',
    'hotel.ManagementAlerts',
    `hotel.FreeRooms?from=${future}&to=${addDays(future, 1)}`,
  ]) {
    const answer = await send(agent, { method: 'GET', url: `${api}/queries/${query}`, headers: after });
    if (answer.status !== 200)
      throw new Error(`The read side did not catch up: ${query}: ${answer.status} ${answer.body}`);
  }
}

/**
 * Waits until the process of every cancellation in the log has completed (refund, mail and alert done), through
 * `hotel.CancellationProgress`; the log is read newest first, a page at a time, through `hotel.RecentEvents`.
 */
async function waitForCancellations(agent: Agent, api: string, timeoutMs = 60_000): Promise<void> {
  const manager = bearer(await signIn(api, 'audit', 'manager'));
  const get = async <T>(query: string) => {
    const answer = await send(agent, { method: 'GET', url: `${api}/queries/${query}`, headers: manager });
    if (answer.status !== 200) throw new Error(`${query}: ${answer.status} ${answer.body}`);
    return json<{ result: T }>(answer).result;
  };
  const cancelled: string[] = [];
  type Page = { items: { type: string; data: { bookingId?: string } }[]; next: string | null };
  for (let cursor: string | null = null; ; ) {
    const page: Page = await get<Page>(`hotel.RecentEvents?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
    for (const event of page.items) {
      if (event.type === 'hotel.BookingCancelled') cancelled.push(String(event.data.bookingId));
    }
    if (page.next === null) break;
    cursor = page.next;
  }
  const deadline = Date.now() + timeoutMs;
  for (const bookingId of cancelled) {
    for (;;) {
      const progress = await get<{ completed: boolean } | null>(
        `hotel.CancellationProgress?bookingId=${encodeURIComponent(bookingId)}`,
      );
      if (progress?.completed) break;
      if (Date.now() > deadline)
        throw new Error(`The cancellation of ${bookingId} did not complete: ${JSON.stringify(progress)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The hotel's processes one after another, and the answers the current one has given. */
class Servers {
  #generation = 0;
  #current: { readonly generation: number; readonly api: string } | undefined;
  #killed = 0;
  #answers = 0;
  #waiting: { readonly ready: () => boolean; readonly resolve: () => void }[] = [];

  up(api: string): void {
    this.#current = { generation: ++this.#generation, api };
    this.#answers = 0;
    this.#wake();
  }

  kill(): void {
    this.#killed = this.#generation;
    this.#current = undefined;
  }

  killed(generation: number): boolean {
    return generation <= this.#killed;
  }

  /** The first process started after `generation`. */
  async next(generation: number): Promise<{ readonly generation: number; readonly api: string }> {
    await this.#until(() => this.#current !== undefined && this.#current.generation > generation);
    return this.#current!;
  }

  answered(): void {
    this.#answers++;
    this.#wake();
  }

  /** Resolves once the current process has answered `count` requests. */
  answers(count: number): Promise<void> {
    return this.#until(() => this.#answers >= count);
  }

  #until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ ready, resolve }));
  }

  #wake(): void {
    const ready = this.#waiting.filter((w) => w.ready());
    this.#waiting = this.#waiting.filter((w) => !w.ready());
    for (const w of ready) w.resolve();
  }
}
