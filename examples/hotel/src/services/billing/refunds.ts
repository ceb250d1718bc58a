import { defineCommand, defineDecider, defineEvent } from '@twofold/core';
import { z } from 'zod';

const id = z.string().min(1).max(200);

/** Billing's one command: refund a booking. Its inbox enqueues it for each refund the hotel asks for. */
export const IssueRefund = defineCommand(
  'billing.IssueRefund',
  z.object({ bookingId: id, guestId: id, amount: z.number().min(0) }),
);

/** Billing's reply to the hotel: the money went back to the guest. */
export const RefundIssued = defineEvent(
  'billing.RefundIssued',
  z.object({ refundId: z.string(), bookingId: z.string(), guestId: z.string(), amount: z.number() }),
);

/**
 * Billing's write model, one stream per booking: a booking is refunded once. Asked again (the hotel's request
 * delivered twice, or its command run again after a crash), it records nothing.
 */
export const refunds = defineDecider({
  name: 'refund',
  commands: [IssueRefund],
  events: [RefundIssued],
  initialState: () => ({ refunded: false }),
  evolve: () => ({ refunded: true }),
  decide: (command, state) => {
    if (state.refunded) return [];
    const { bookingId, guestId, amount } = command.data;
    return [{ type: 'billing.RefundIssued', data: { refundId: `refund-${bookingId}`, bookingId, guestId, amount } }];
  },
});
