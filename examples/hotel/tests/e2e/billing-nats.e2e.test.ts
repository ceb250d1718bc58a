// The hotel and billing as separate processes over a throwaway nats-server with JetStream: the hotel started with
// NATS_URL, billing as `npm run billing` starts it, on the same data directory (billing.db) and the hotel on SQLite
// files or on PostgreSQL. Each cancellation completes with one refund (one billing.RefundIssued in billing's
// file), one mail and one alert.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@twofold/client';
import { runTypeScript, startNats } from '@twofold/test-servers';
import { describe, expect, it } from 'vitest';
import { billedRefunds } from '../../../../bench/reliability/audit.js';
import { startHotelProcess } from '../../../../bench/reliability/hotel-process.js';
import { openTarget } from '../../../../bench/reliability/target.js';
import { createStores } from '../../src/app/stores.js';
import { addDays, today } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking } from '../../src/messages/commands.js';
import { bearer, cancellationCompleted, signIn } from './setup.js';

const billingEntry = join(fileURLToPath(new URL('../..', import.meta.url)), 'src', 'services', 'billing', 'main.ts');
const CANCELLATIONS = 4;

describe.each(['sqlite', 'postgres'] as const)('billing over NATS JetStream, the hotel on %s', (store) => {
  it('completes each cancellation with one refund, one mail and one alert', async () => {
    const [target, nats] = await Promise.all([openTarget(store), startNats()]);
    const env = { ...target.env, NATS_URL: nats.url };
    const billing = runTypeScript(billingEntry, [], { env: { ...env, LOG_LEVEL: 'error' } });
    const hotel = await startHotelProcess({ ...target, env }, 0);
    try {
      await billing.until((line) => line.startsWith('Twofold Hotel billing'));
      const client = createClient({ baseUrl: hotel.api, headers: bearer(await signIn(hotel.api, 'nia', 'manager')) });
      const ids = Array.from({ length: CANCELLATIONS }, (_, i) => `nats-${i}`);
      for (const [i, bookingId] of ids.entries()) {
        const from = addDays(today(), 300 + 3 * i);
        await client.send(BookRoom, {
          bookingId,
          roomId: '201',
          guestId: 'nia',
          from,
          to: addDays(from, 2),
        });
        await client.send(CancelBooking, { bookingId, reason: 'over NATS' });
      }
      for (const bookingId of ids) await cancellationCompleted(client, bookingId, 30_000);
    } finally {
      await hotel.stop();
      billing.process.kill('SIGTERM');
      await billing.exited;
      await nats.stop();
    }
    try {
      const stores = await createStores(target.config);
      const ours = (records: readonly { bookingId: string }[]) =>
        records
          .map((r) => r.bookingId)
          .filter((id) => id.startsWith('nats-'))
          .sort();
      try {
        const list = async (kind: 'refunds' | 'mails' | 'alerts') =>
          (await stores.effects.list(kind, {}, { limit: 100 })).items as readonly {
            bookingId: string;
            subject?: string;
          }[];
        const ids = Array.from({ length: CANCELLATIONS }, (_, i) => `nats-${i}`);
        expect(ours(await list('refunds'))).toEqual(ids);
        expect(ours((await list('mails')).filter((m) => m.subject?.endsWith(': cancelled')))).toEqual(ids);
        expect(ours(await list('alerts'))).toEqual(ids);
        expect((await billedRefunds(target.config)).filter((id) => id.startsWith('nats-')).sort()).toEqual(ids);
      } finally {
        await stores.close();
      }
    } finally {
      await target.close();
    }
  });
});
