import { type DocumentReader, type DocumentTx, projection } from '@twofold/core';
import { BookingCancelled } from '../messages/events.js';
import { GuestMailed, ManagementAlerted, RefundRecorded } from './messages.js';
import type { CancellationView } from './queries.js';

type Progress = Omit<CancellationView, 'completed'>;

/** Each cancellation's progress, as the hotel's log records its steps. */
export const cancellations = projection<DocumentTx>('cancellations')
  .on(BookingCancelled, ({ bookingId, guestId, refund }, tx) =>
    tx.collection<Progress>('cancellations').put(bookingId, {
      bookingId,
      guestId,
      amount: refund,
      refund: 'pending',
      mailSent: false,
      alertSent: false,
    }),
  )
  .on(RefundRecorded, async ({ bookingId }, tx) => {
    await tx.collection<Progress>('cancellations').update(bookingId, { refund: 'done' });
  })
  .on(GuestMailed, async ({ bookingId }, tx) => {
    await tx.collection<Progress>('cancellations').update(bookingId, { mailSent: true });
  })
  .on(ManagementAlerted, async ({ bookingId }, tx) => {
    await tx.collection<Progress>('cancellations').update(bookingId, { alertSent: true });
  });

/** One booking's cancellation, or undefined when it is not cancelled. */
export async function cancellationOf(reader: DocumentReader, bookingId: string): Promise<CancellationView | undefined> {
  const found = await reader.collection<Progress>('cancellations').get(bookingId);
  if (found === undefined) return undefined;
  return { ...found, completed: found.refund === 'done' && found.mailSent && found.alertSent };
}
