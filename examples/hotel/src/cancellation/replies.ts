import type { RecordedEvent } from '@twofold/core';
import type { Stores } from '../app/stores.js';
import { RefundIssued } from '../services/billing/refunds.js';
import { commandOf, type Receiver, receivedData } from '../services/transport.js';
import { RecordRefund } from './messages.js';

/**
 * The hotel's receiving end for billing's replies: each `billing.RefundIssued` enqueues `hotel.RecordRefund` in
 * the inbox's own transaction (one whose data does not match the event's schema is refused, naming the fields, and
 * parked once its deliveries are spent), so the refund becomes an event of the hotel's log once, for the cancellation
 * process manager to react to.
 */
export function billingReplies(stores: Stores): Receiver {
  return {
    name: 'hotel',
    types: [RefundIssued.type],
    inbox: stores.inbox,
    deadLetters: stores.deadLetters,
    handle: (event: RecordedEvent, tx: unknown) => {
      const { refundId, bookingId, guestId, amount } = receivedData(RefundIssued, event);
      const data = { bookingId, guestId, refundId, amount, at: event.timestamp };
      return stores.enqueueIn(
        tx,
        commandOf(event, { type: RecordRefund.type, data, key: `hotel.cancellation:${bookingId}` }),
      );
    },
  };
}
