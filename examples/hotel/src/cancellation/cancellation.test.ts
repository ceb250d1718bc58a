import { given } from '@twofold/core/testing';
import { describe, it } from 'vitest';
import { cancellation } from './cancellation.js';

const stay = {
  bookingId: 'b1',
  guestId: 'ada',
  roomId: '101',
  from: '2030-03-10',
  to: '2030-03-12',
  refund: 160,
  at: 5,
};

describe('the steps of a cancellation', () => {
  it('records each step once: a step run again records nothing', () => {
    given(cancellation)
      .when({ type: 'hotel.MailGuest', data: stay })
      .thenEvents([{ type: 'hotel.GuestMailed', data: { bookingId: 'b1', mailId: 'mail-cancelled-b1' } }]);
    given(cancellation, [{ type: 'hotel.GuestMailed', data: { bookingId: 'b1', mailId: 'mail-cancelled-b1' } }])
      .when({ type: 'hotel.MailGuest', data: stay })
      .thenEvents([]);
    given(cancellation, [{ type: 'hotel.RefundRequested', data: { bookingId: 'b1', guestId: 'ada', amount: 160 } }])
      .when({ type: 'hotel.RequestRefund', data: { bookingId: 'b1', guestId: 'ada', amount: 160 } })
      .thenEvents([]);
    given(cancellation)
      .when({
        type: 'hotel.RecordRefund',
        data: { bookingId: 'b1', guestId: 'ada', refundId: 'refund-b1', amount: 160, at: 9 },
      })
      .thenEvents([{ type: 'hotel.RefundRecorded', data: { bookingId: 'b1', refundId: 'refund-b1', amount: 160 } }]);
    given(cancellation)
      .when({ type: 'hotel.AlertManagement', data: { ...stay, reason: '' } })
      .thenEvents([{ type: 'hotel.ManagementAlerted', data: { bookingId: 'b1', alertId: 'alert-b1' } }]);
  });
});
