import { defineCommand, defineEvent } from '@twofold/core';
import { z } from 'zod';

// The hotel's own steps of a cancellation: sent by the cancellation process manager (or, for RecordRefund, by the
// inbox that takes billing's replies in), never by a user.
const id = z.string().min(1).max(200);
const stay = {
  bookingId: id,
  guestId: id,
  roomId: id,
  from: z.string(),
  to: z.string(),
  refund: z.number(),
};

export const RequestRefund = defineCommand(
  'hotel.RequestRefund',
  z.object({ bookingId: id, guestId: id, amount: z.number().min(0) }),
  { description: 'Asks billing to refund a cancelled booking. Sent by the hotel itself, never by a user.' },
);

export const MailGuest = defineCommand('hotel.MailGuest', z.object(stay), {
  description: 'Mails the guest of a cancelled booking that it is cancelled. Sent by the hotel itself.',
});

export const AlertManagement = defineCommand('hotel.AlertManagement', z.object({ ...stay, reason: z.string() }), {
  description: 'Tells management of a cancelled booking. Sent by the hotel itself.',
});

export const RecordRefund = defineCommand(
  'hotel.RecordRefund',
  z.object({ bookingId: id, guestId: id, refundId: id, amount: z.number().min(0), at: z.number() }),
  { description: "Records billing's refund of a cancelled booking. Sent by the hotel itself." },
);

export const RefundRequested = defineEvent(
  'hotel.RefundRequested',
  z.object({ bookingId: z.string(), guestId: z.string(), amount: z.number() }),
);
export const RefundRecorded = defineEvent(
  'hotel.RefundRecorded',
  z.object({ bookingId: z.string(), refundId: z.string(), amount: z.number() }),
);
export const GuestMailed = defineEvent('hotel.GuestMailed', z.object({ bookingId: z.string(), mailId: z.string() }));
export const ManagementAlerted = defineEvent(
  'hotel.ManagementAlerted',
  z.object({ bookingId: z.string(), alertId: z.string() }),
);

/** The ids of what a cancellation leaves behind: one of each per booking, so writing one again changes nothing. */
export const effectIds = (bookingId: string) => ({
  mailId: `mail-cancelled-${bookingId}`,
  alertId: `alert-${bookingId}`,
});
