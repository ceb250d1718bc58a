// The cancellation's process under faults, every part a process of its own: the hotel (WORKERS=0), a worker
// process, billing and a throwaway nats-server. Mid-flow, each round SIGKILLs the worker, billing and nats-server
// and starts them again on the same data; then every accepted cancellation is awaited and the refunds billing
// issued, the refunds the hotel recorded, the mails and the alerts are counted per booking. The short run is
// examples/hotel/tests/e2e/cancellation-faults.e2e.test.ts; `cancellation-faults` in main.ts is the long one.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@twofold/client';
import { type Child, runTypeScript, startNats } from '@twofold/test-servers';
import { createStores, type StoresConfig } from '../../examples/hotel/src/app/stores.js';
import { addDays, today } from '../../examples/hotel/src/domain/dates.js';
import { BookRoom, CancelBooking, ConfirmBooking } from '../../examples/hotel/src/messages/commands.js';
import { bearer, cancellationCompleted, signIn } from '../../examples/hotel/tests/e2e/setup.js';
import { billedRefunds } from './audit.js';
import { startHotelProcess } from './hotel-process.js';
import { openTarget } from './target.js';

const src = join(fileURLToPath(new URL('../../examples/hotel', import.meta.url)), 'src');

/** What a run saw: each count is per booking id of the run. */
export interface CancellationFaultsReport {
  readonly accepted: readonly string[];
  readonly kills: { readonly worker: number; readonly billing: number; readonly nats: number };
  readonly billed: ReadonlyMap<string, number>;
  readonly recorded: ReadonlyMap<string, number>;
  readonly mails: ReadonlyMap<string, number>;
  readonly alerts: ReadonlyMap<string, number>;
  /** The counts in one line, as the test and the bench print them. */
  readonly summary: string;
}

async function start(file: string, banner: string, env: Readonly<Record<string, string>>): Promise<Child> {
  const child = runTypeScript(join(src, file), [], { env: { ...env, LOG_LEVEL: 'error' } });
  await child.until((line) => line.startsWith(banner));
  return child;
}

async function kill(child: Child): Promise<void> {
  child.process.kill('SIGKILL');
  await child.exited;
}

/**
 * Runs `rounds` rounds of `perRound` cancellations (booked, confirmed and cancelled over HTTP), with the SIGKILLs
 * after each round, on SQLite; resolves with the counts once every cancellation has completed (each may take up to
 * `completionMs`).
 */
export async function runCancellationFaults(options: {
  readonly rounds: number;
  readonly perRound: number;
  readonly completionMs?: number;
}): Promise<CancellationFaultsReport> {
  const { rounds, perRound } = options;
  const [target, nats] = await Promise.all([openTarget('sqlite'), startNats()]);
  const env = { ...target.env, NATS_URL: nats.url };
  const accepted: string[] = [];
  const kills = { worker: 0, billing: 0, nats: 0 };
  try {
    const hotel = await startHotelProcess({ ...target, env: { ...env, WORKERS: '0' } }, 0);
    let worker = await start('worker.ts', 'Twofold Hotel worker', env);
    let billing = await start('services/billing/main.ts', 'Twofold Hotel billing', env);
    try {
      const headers = bearer(await signIn(hotel.api, 'faults', 'manager'));
      const client = createClient({ baseUrl: hotel.api, headers });
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < perRound; i++) {
          const bookingId = `fault-${round}-${i}`;
          const from = addDays(today(), 200 + 2 * (round * perRound + i));
          await client.send(BookRoom, { bookingId, roomId: '301', guestId: 'fay', from, to: addDays(from, 1) });
          await client.send(ConfirmBooking, { bookingId });
          await client.send(CancelBooking, { bookingId, reason: `round ${round}` });
          accepted.push(bookingId);
        }
        // Mid-flow: the cancellations just accepted are on their way through the queue, the broker and billing.
        await kill(worker);
        kills.worker++;
        await kill(billing);
        kills.billing++;
        nats.kill();
        kills.nats++;
        await nats.restart();
        billing = await start('services/billing/main.ts', 'Twofold Hotel billing', env);
        worker = await start('worker.ts', 'Twofold Hotel worker', env);
      }
      for (const bookingId of accepted) await cancellationCompleted(client, bookingId, options.completionMs ?? 60_000);
    } finally {
      await hotel.stop();
      for (const child of [worker, billing]) {
        child.process.kill('SIGTERM');
        await child.exited;
      }
    }
    return { accepted, kills, ...(await count(target.config, accepted, kills)) };
  } finally {
    await nats.stop();
    await target.close();
  }
}

async function count(config: StoresConfig, accepted: readonly string[], kills: CancellationFaultsReport['kills']) {
  const stores = await createStores(config);
  try {
    const list = async (kind: 'refunds' | 'mails' | 'alerts') => {
      const records: { bookingId: string; subject?: string }[] = [];
      for (let before: string | undefined; ; ) {
        const page = await stores.effects.list(kind, {}, { limit: 1000, before });
        records.push(...(page.items as readonly { bookingId: string; subject?: string }[]));
        if (page.next === null) return records;
        before = page.next;
      }
    };
    const perBooking = (ids: readonly string[]) => {
      const n = new Map<string, number>();
      for (const id of ids.filter((b) => b.startsWith('fault-'))) n.set(id, (n.get(id) ?? 0) + 1);
      return n;
    };
    const billed = perBooking(await billedRefunds(config));
    const recorded = perBooking((await list('refunds')).map((r) => r.bookingId));
    const mails = perBooking(
      (await list('mails')).filter((m) => m.subject?.endsWith(': cancelled')).map((m) => m.bookingId),
    );
    const alerts = perBooking((await list('alerts')).map((a) => a.bookingId));
    const sum = (n: Map<string, number>) => [...n.values()].reduce((a, b) => a + b, 0);
    const summary = `cancellation faults: ${accepted.length} accepted cancellations; killed worker ${kills.worker}, billing ${kills.billing}, nats-server ${kills.nats} times; refunds issued by billing ${sum(billed)}, refunds recorded ${sum(recorded)}, mails ${sum(mails)}, alerts ${sum(alerts)}`;
    return { billed, recorded, mails, alerts, summary };
  } finally {
    await stores.close();
  }
}
