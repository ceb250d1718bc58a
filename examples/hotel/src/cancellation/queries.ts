import { defineQuery } from '@twofold/core';
import { z } from 'zod';

export const CancellationView = z.object({
  bookingId: z.string(),
  guestId: z.string(),
  /** What billing is asked to refund. */
  amount: z.number(),
  refund: z.enum(['pending', 'done']),
  mailSent: z.boolean(),
  alertSent: z.boolean(),
  /** All three done: the cancellation's process is over. */
  completed: z.boolean(),
});
export type CancellationView = z.infer<typeof CancellationView>;

export const CancellationProgress = defineQuery(
  'hotel.CancellationProgress',
  z.object({ bookingId: z.string().trim().min(1).max(64) }),
  CancellationView.nullable(),
  {
    description:
      "How far a booking's cancellation has got: the refund (pending at billing, or done), the guest's mail, the alert to management; null when the booking is not cancelled.",
  },
);
