// The cancellation's process under faults, every part a process of its own: the hotel (WORKERS=0), a worker
// process, billing and a throwaway nats-server. Mid-flow, each round SIGKILLs the worker, billing and nats-server
// and starts them again on the same data. Every accepted cancellation still ends with exactly one refund at billing,
// one refund recorded, one mail and one alert. A short run here; CANCELLATION_FAULT_ROUNDS and
// CANCELLATION_FAULT_BOOKINGS size a longer one.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@twofold/client';
import { type Child, runTypeScript, startNats } from '@twofold/test-servers';
import { expect, it } from 'vitest';
import { billedRefunds } from '../../../../bench/reliability/audit.js';
import { startHotelProcess } from '../../../../bench/reliability/hotel-process.js';
import { openTarget } from '../../../../bench/reliability/target.js';
import { createStores } from '../../src/app/stores.js';
import { addDays, today } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking, ConfirmBooking } from '../../src/messages/commands.js';
import { bearer, cancellationCompleted, signIn } from './setup.js';

const src = join(fileURLToPath(new URL('../..', import.meta.url)), 'src');
const ROUNDS = Number(process.env.CANCELLATION_FAULT_ROUNDS ?? 2);
const PER_ROUND = Number(process.env.CANCELLATION_FAULT_BOOKINGS ?? 4);

async function start(file: string, banner: string, env: Readonly<Record<string, string>>): Promise<Child> {
  const child = runTypeScript(join(src, file), [], { env: { ...env, LOG_LEVEL: 'error' } });
  await child.until((line) => line.startsWith(banner));
  return child;
}

async function kill(child: Child): Promise<void> {
  child.process.kill('SIGKILL');
  await child.exited;
}

it('ends every accepted cancellation with one refund, one mail and one alert, through SIGKILLs', async () => {
  const [target, nats] = await Promise.all([openTarget('sqlite'), startNats()]);
  const env = { ...target.env, NATS_URL: nats.url };
  const hotel = await startHotelProcess({ ...target, env: { ...env, WORKERS: '0' } }, 0);
  let worker = await start('worker.ts', 'Twofold Hotel worker', env);
  let billing = await start('services/billing/main.ts', 'Twofold Hotel billing', env);
  const accepted: string[] = [];
  const kills = { worker: 0, billing: 0, nats: 0 };
  try {
    const client = createClient({ baseUrl: hotel.api, headers: bearer(await signIn(hotel.api, 'faults', 'manager')) });
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) {
        const bookingId = `fault-${round}-${i}`;
        const from = addDays(today(), 200 + 2 * (round * PER_ROUND + i));
        await client.send(BookRoom, {
          bookingId,
          roomId: '301',
          guestId: 'fay',
          from,
          to: addDays(from, 1),
        });
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
    for (const bookingId of accepted) await cancellationCompleted(client, bookingId, 60_000);
  } finally {
    await hotel.stop();
    for (const child of [worker, billing]) {
      child.process.kill('SIGTERM');
      await child.exited;
    }
    await nats.stop();
  }
  try {
    const stores = await createStores(target.config);
    try {
      const list = async (kind: 'refunds' | 'mails' | 'alerts') =>
        (await stores.effects.list(kind, {}, { limit: 1000 })).items as readonly {
          bookingId: string;
          subject?: string;
        }[];
      const counts = (ids: readonly string[]) => {
        const n = new Map<string, number>();
        for (const id of ids.filter((b) => b.startsWith('fault-'))) n.set(id, (n.get(id) ?? 0) + 1);
        return n;
      };
      const billed = counts(await billedRefunds(target.config));
      const recorded = counts((await list('refunds')).map((r) => r.bookingId));
      const mails = counts(
        (await list('mails')).filter((m) => m.subject?.endsWith(': cancelled')).map((m) => m.bookingId),
      );
      const alerts = counts((await list('alerts')).map((a) => a.bookingId));
      const sum = (n: Map<string, number>) => [...n.values()].reduce((a, b) => a + b, 0);
      console.log(
        `cancellation faults: ${accepted.length} accepted cancellations; killed worker ${kills.worker}, billing ${kills.billing}, nats-server ${kills.nats} times; refunds issued by billing ${sum(billed)}, refunds recorded ${sum(recorded)}, mails ${sum(mails)}, alerts ${sum(alerts)}`,
      );
      const once = new Map(accepted.map((id) => [id, 1]));
      expect(billed).toEqual(once);
      expect(recorded).toEqual(once);
      expect(mails).toEqual(once);
      expect(alerts).toEqual(once);
    } finally {
      await stores.close();
    }
  } finally {
    await target.close();
  }
});
