import { defineProcessManager } from '@twofold/core';
import { BookingCancelled } from '../messages/events.js';
import {
  AlertManagement,
  GuestMailed,
  MailGuest,
  ManagementAlerted,
  RefundRecorded,
  RequestRefund,
} from './messages.js';

/** Where one cancellation stands: the refund billing was asked for, the guest's mail, management's alert. */
export interface CancellationProcess {
  readonly bookingId: string;
  readonly refund: 'pending' | 'done';
  readonly mailed: boolean;
  readonly alerted: boolean;
}

const done = (state: CancellationProcess) => state.refund === 'done' && state.mailed && state.alerted;

const byBooking = (data: { readonly bookingId: string }) => data.bookingId;

/**
 * The cancellation of a booking, start to finish: `BookingCancelled` asks billing for the refund, has the guest
 * mailed and management alerted; the instance (one per booking) completes once the refund is recorded, the mail
 * sent and the alert sent, whichever order they come in.
 */
export const cancellationProcess = defineProcessManager({
  name: 'hotel.cancellation',
  events: [BookingCancelled, RefundRecorded, GuestMailed, ManagementAlerted],
  commands: [RequestRefund, MailGuest, AlertManagement],
  initialState: (): CancellationProcess => ({ bookingId: '', refund: 'pending', mailed: false, alerted: false }),
  correlate: {
    'hotel.BookingCancelled': byBooking,
    'hotel.RefundRecorded': byBooking,
    'hotel.GuestMailed': byBooking,
    'hotel.ManagementAlerted': byBooking,
  },
  on: {
    'hotel.BookingCancelled': (state, cancelled) => {
      const { bookingId, guestId, roomId, from, to, refund, reason } = cancelled;
      const stay = { bookingId, guestId, roomId, from, to, refund };
      return {
        state: { ...state, bookingId },
        send: [
          { type: 'hotel.RequestRefund', data: { bookingId, guestId, amount: refund } },
          { type: 'hotel.MailGuest', data: stay },
          { type: 'hotel.AlertManagement', data: { ...stay, reason } },
        ],
      };
    },
    'hotel.RefundRecorded': (state) => step({ ...state, refund: 'done' }),
    'hotel.GuestMailed': (state) => step({ ...state, mailed: true }),
    'hotel.ManagementAlerted': (state) => step({ ...state, alerted: true }),
  },
  timers: {},
});

function step(state: CancellationProcess) {
  return { state, complete: done(state) };
}
