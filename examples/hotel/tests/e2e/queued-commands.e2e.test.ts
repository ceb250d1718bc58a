// Commands queued over HTTP and run by worker processes: the hotel's process with no worker of its own
// (WORKERS=0), beside worker processes started as `npm run worker` starts them, on the same data: one worker on
// SQLite files, two on a throwaway PostgreSQL. A booking sent with `Prefer: respond-async` is answered 202, its
// status resource reaches `succeeded`, and a query after its position (Twofold-After) sees it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@twofold/client';
import { type Child, runTypeScript } from '@twofold/test-servers';
import { describe, expect, it } from 'vitest';
import { startHotelProcess } from '../../../../bench/reliability/hotel-process.js';
import { openTarget } from '../../../../bench/reliability/target.js';
import { addDays, today } from '../../src/domain/dates.js';
import { BookRoom } from '../../src/messages/commands.js';
import { GuestBookings } from '../../src/messages/queries.js';
import { bearer, signIn } from './setup.js';

const workerEntry = join(fileURLToPath(new URL('../..', import.meta.url)), 'src', 'worker.ts');

/** A worker process on the target's data, as `npm run worker` runs it, once it has started. */
async function startWorker(env: Readonly<Record<string, string>>): Promise<Child> {
  const worker = runTypeScript(workerEntry, [], { env: { ...env, LOG_LEVEL: 'error' } });
  await worker.until((line) => line.startsWith('Twofold Hotel worker'));
  return worker;
}

describe.each([
  ['sqlite', 1],
  ['postgres', 2],
] as const)('queued commands on %s with %i worker processes', (store, count) => {
  it('answers 202, runs the command in a worker process, and a query after its position reads it', async () => {
    const target = await openTarget(store);
    const workers: Child[] = [];
    const hotel = await startHotelProcess({ ...target, env: { ...target.env, WORKERS: '0' } }, 0);
    try {
      for (let i = 0; i < count; i++) workers.push(await startWorker(target.env));
      const token = await signIn(hotel.api, 'ada', 'guest');
      const from = addDays(today(), 400);
      const first = { bookingId: 'queued-0', roomId: '102', guestId: 'ada', from, to: addDays(from, 2) };

      const accepted = await fetch(`${hotel.api}/commands/hotel.BookRoom`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify(first),
      });
      expect(accepted.status).toBe(202);
      expect(accepted.headers.get('preference-applied')).toBe('respond-async');
      const { id } = (await accepted.json()) as { id: string };
      const location = accepted.headers.get('location');
      expect(location).toBe(`/api/commands/status/${id}`);
      const read = await fetch(new URL(location!, hotel.api), { headers: { ...bearer(token), prefer: 'wait=20' } });
      const status = (await read.json()) as { status: string; position: number; result: unknown };
      expect(status).toMatchObject({ status: 'succeeded', result: { bookingId: 'queued-0', total: 160 } });
      // The guest who queued it and a manager read the status resource; another guest gets the 404 of no command.
      for (const [user, role, expected] of [
        ['grace', 'guest', 404],
        ['boss', 'manager', 200],
      ] as const) {
        const other = await fetch(new URL(location!, hotel.api), {
          headers: bearer(await signIn(hotel.api, user, role)),
        });
        expect(other.status).toBe(expected);
      }
      const bookings = await fetch(`${hotel.api}/queries/hotel.GuestBookings?guestId=ada`, {
        headers: { ...bearer(token), 'twofold-after': String(status.position) },
      });
      const page = (await bookings.json()) as { result: { items: { bookingId: string }[] } };
      expect(page.result.items.map((item) => item.bookingId)).toContain('queued-0');

      // More bookings through the typed client, each waited for; its next query reads after the last.
      const client = createClient({ baseUrl: hotel.api, headers: bearer(token) });
      const receipts = [];
      for (let i = 1; i <= 6; i++) {
        const start = addDays(from, 3 * i);
        const booking = { bookingId: `queued-${i}`, roomId: '102', guestId: 'ada', from: start, to: addDays(start, 1) };
        receipts.push(await client.enqueue(BookRoom, booking));
      }
      for (const receipt of receipts) {
        expect((await client.waitFor(receipt, { timeoutMs: 30_000 })).status).toBe('succeeded');
      }
      const mine = await client.ask(GuestBookings, { guestId: 'ada', limit: 100 });
      expect(mine.items.map((item) => item.bookingId)).toEqual(
        expect.arrayContaining(['queued-0', ...receipts.map((_, i) => `queued-${i + 1}`)]),
      );
    } finally {
      for (const worker of workers) worker.process.kill('SIGTERM');
      const exits = await Promise.all(workers.map((worker) => worker.exited));
      await hotel.stop();
      await target.close();
      // SIGTERM stops a worker cleanly: it says so and exits 0.
      expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
      for (const worker of workers) expect(worker.lines).toContain('stopped');
    }
  }, 120_000);
});
