// A cancellation across two services, billing in the hotel's process on its own SQLite file, the in-process
// transport carrying the messages: each cancellation ends with one refund (one billing.RefundIssued in billing's
// log), one mail and one alert, and a message delivered again changes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@twofold/client';
import { type RecordedEvent, START } from '@twofold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { billingReplies } from '../../src/cancellation/replies.js';
import { addDays } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking, RegisterRoom } from '../../src/messages/commands.js';
import { cancellationCompleted, injectClient, signIn, startHotel, TODAY } from './setup.js';

const BOOKINGS = 6;

async function everything(app: App) {
  const list = async (kind: 'refunds' | 'mails' | 'alerts') =>
    (await app.stores.effects.list(kind, {}, { limit: 100 })).items.map((record) => record.bookingId);
  const billing = app.billing.billing!;
  const billed = (await billing.db.events.readAll(START, 1000)).filter((e) => e.type === 'billing.RefundIssued');
  return {
    refunds: (await list('refunds')).sort(),
    mails: (await app.stores.effects.list('mails', {}, { limit: 100 })).items
      .filter((mail) => mail.subject.endsWith(': cancelled'))
      .map((mail) => mail.bookingId)
      .sort(),
    alerts: (await list('alerts')).sort(),
    billed,
  };
}

describe.each([
  { storage: 'in memory', dataDir: undefined },
  { storage: 'on SQLite', dataDir: mkdtempSync(join(tmpdir(), 'twofold-hotel-cancellation-')) },
])('cancellations with billing in-process, $storage', ({ dataDir }) => {
  let app: App;
  let client: Client;
  beforeAll(async () => {
    app = await startHotel({ dataDir, seed: false });
    client = injectClient(app.server, await signIn(app, 'fay', 'manager'));
  });
  afterAll(async () => {
    await app?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refunds, mails and alerts once per cancellation, and completes each process', async () => {
    await client.send(RegisterRoom, { roomId: '501', number: '501', type: 'double', pricePerNight: 100 });
    const ids = Array.from({ length: BOOKINGS }, (_, i) => `k${i}`);
    for (const [i, bookingId] of ids.entries()) {
      const from = addDays(TODAY, 10 + 2 * i);
      await client.send(BookRoom, { bookingId, roomId: '501', guestId: 'kim', from, to: addDays(from, 2) });
    }
    await Promise.all(ids.map((bookingId) => client.send(CancelBooking, { bookingId, reason: 'plans changed' })));
    for (const bookingId of ids) {
      expect(await cancellationCompleted(client, bookingId)).toEqual({
        bookingId,
        guestId: 'kim',
        amount: 200,
        refund: 'done',
        mailSent: true,
        alertSent: true,
        completed: true,
      });
      expect(await app.stores.processes.instance('hotel.cancellation', bookingId)).toMatchObject({ closed: true });
    }
    const seen = await everything(app);
    expect(seen.refunds).toEqual(ids);
    expect(seen.mails).toEqual(ids);
    expect(seen.alerts).toEqual(ids);
    expect(seen.billed.map((e) => (e.data as { bookingId: string }).bookingId).sort()).toEqual(ids);
    expect(seen.billed.map((e) => (e.data as { amount: number }).amount)).toEqual(ids.map(() => 200));
  });

  it('takes a message delivered again as a no-op, on both sides', async () => {
    const billing = app.billing.billing!;
    const [issued] = (await billing.db.events.readAll(START, 1000)).filter((e) => e.type === 'billing.RefundIssued');
    const replies = billingReplies(app.stores);
    const again = (event: RecordedEvent) =>
      replies.inbox.receive(replies.name, event.id, (tx) => replies.handle(event, tx));
    expect(await again(issued!)).toBe(false);

    const [requested] = (await app.stores.writes.readAll(START, 10_000)).filter(
      (e) => e.type === 'hotel.RefundRequested',
    );
    const { receiver } = billing;
    expect(await receiver.inbox.receive(receiver.name, requested!.id, (tx) => receiver.handle(requested!, tx))).toBe(
      false,
    );

    // The same request under a new id (as if the hotel had sent it twice) is refunded once all the same.
    const twin = { ...requested!, id: `${requested!.id}-twin` };
    const refund = `billing.IssueRefund:${twin.id}`;
    // Billing's worker, in this process, tells its queue's listeners when it has made the refund command final.
    const settled = new Promise<void>((resolve) => {
      const stop = billing.db.commands.onSettled((id) => {
        if (id !== refund) return;
        stop();
        resolve();
      });
    });
    const head = await billing.db.events.head();
    expect(await receiver.inbox.receive(receiver.name, twin.id, (tx) => receiver.handle(twin, tx))).toBe(true);
    await settled;
    expect((await billing.db.commands.get(refund))?.status).toBe('succeeded');
    expect(await billing.db.events.head()).toBe(head);
    expect((await everything(app)).billed).toHaveLength(BOOKINGS);
  });
});
