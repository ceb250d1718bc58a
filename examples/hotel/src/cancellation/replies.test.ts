import { type RecordedEvent, START, streamId } from '@twofold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createStores, type Stores } from '../app/stores.js';
import { billingReplies } from './replies.js';

let stores: Stores | undefined;
afterEach(async () => {
  await stores?.close();
  stores = undefined;
});

const refundIssued = (id: string, data: unknown): RecordedEvent =>
  ({
    id,
    streamId: streamId('refund', 'b1'),
    streamVersion: 1,
    position: START,
    type: 'billing.RefundIssued',
    schemaVersion: 1,
    data,
    metadata: { correlationId: 'cancel-b1' },
    timestamp: 1_000,
  }) as RecordedEvent;

describe("the hotel's inbox of billing's replies", () => {
  it('queues hotel.RecordRefund for a refund billing issued, and refuses one whose data is malformed, naming the field', async () => {
    stores = await createStores();
    const open = stores;
    const replies = billingReplies(open);
    const take = (event: RecordedEvent) =>
      open.inbox.receive(replies.name, event.id, (tx) => replies.handle(event, tx));

    const good = refundIssued('e1', { refundId: 'r1', bookingId: 'b1', guestId: 'ada', amount: 160 });
    await take(good);
    expect(await open.commands.get('hotel.RecordRefund:e1')).toMatchObject({
      type: 'hotel.RecordRefund',
      data: { bookingId: 'b1', guestId: 'ada', refundId: 'r1', amount: 160, at: 1_000 },
    });

    const bad = refundIssued('e2', { refundId: 'r2', bookingId: 'b1', guestId: 'ada', amount: '160' });
    await expect(take(bad)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('amount'),
    });
    expect(await open.commands.get('hotel.RecordRefund:e2')).toBeUndefined();
  });
});
