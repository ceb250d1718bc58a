import { given } from '@twofold/core/testing';
import { describe, it } from 'vitest';
import { cancellationProcess } from './process-manager.js';

const cancelled = {
  type: 'hotel.BookingCancelled',
  data: {
    bookingId: 'b1',
    roomId: '101',
    guestId: 'ada',
    from: '2030-03-10',
    to: '2030-03-12',
    reason: 'ill',
    refund: 160,
  },
} as const;
const refunded = {
  type: 'hotel.RefundRecorded',
  data: { bookingId: 'b1', refundId: 'refund-b1', amount: 160 },
} as const;
const mailed = { type: 'hotel.GuestMailed', data: { bookingId: 'b1', mailId: 'mail-cancelled-b1' } } as const;
const alerted = { type: 'hotel.ManagementAlerted', data: { bookingId: 'b1', alertId: 'alert-b1' } } as const;
const stay = { bookingId: 'b1', guestId: 'ada', roomId: '101', from: '2030-03-10', to: '2030-03-12', refund: 160 };

describe('the cancellation process', () => {
  it('asks billing for the refund, has the guest mailed and management alerted, when a booking is cancelled', () => {
    given(cancellationProcess)
      .when(cancelled)
      .thenSends(
        [
          { type: 'hotel.RequestRefund', data: { bookingId: 'b1', guestId: 'ada', amount: 160 } },
          { type: 'hotel.MailGuest', data: stay },
          { type: 'hotel.AlertManagement', data: { ...stay, reason: 'ill' } },
        ],
        { state: { bookingId: 'b1', refund: 'pending', mailed: false, alerted: false }, completed: false },
      );
  });

  it('waits while any of the three is missing', () => {
    given(cancellationProcess, [cancelled, refunded])
      .when(mailed)
      .thenSends([], { state: { bookingId: 'b1', refund: 'done', mailed: true, alerted: false }, completed: false });
    given(cancellationProcess, [cancelled, mailed])
      .when(alerted)
      .thenSends([], { state: { bookingId: 'b1', refund: 'pending', mailed: true, alerted: true }, completed: false });
  });

  it('completes once the refund is done, the mail sent and the alert sent, in whichever order', () => {
    given(cancellationProcess, [cancelled, mailed, alerted])
      .when(refunded)
      .thenSends([], { state: { bookingId: 'b1', refund: 'done', mailed: true, alerted: true }, completed: true });
    given(cancellationProcess, [cancelled, refunded, alerted]).when(mailed).thenSends([], { completed: true });
  });

  it('sends nothing more for a completed cancellation', () => {
    given(cancellationProcess, [cancelled, refunded, mailed, alerted])
      .when(cancelled)
      .thenSends([], { completed: true });
  });
});
