import { defineDecider, streamId } from '@twofold/core';
import {
  AlertManagement,
  effectIds,
  GuestMailed,
  MailGuest,
  ManagementAlerted,
  RecordRefund,
  RefundRecorded,
  RefundRequested,
  RequestRefund,
} from './messages.js';

/** What the hotel has done about one cancelled booking. */
export interface CancellationSteps {
  readonly requested: boolean;
  readonly refunded: boolean;
  readonly mailed: boolean;
  readonly alerted: boolean;
}

/**
 * The steps of one cancellation, one stream per booking: each step is recorded once. A step run again (its queued
 * command run a second time after a worker died before marking it done) records nothing, so each of its events,
 * and what its handler wrote under the step's fixed id, is there once.
 */
export const cancellation = defineDecider({
  name: 'cancellation',
  commands: [RequestRefund, MailGuest, AlertManagement, RecordRefund],
  events: [RefundRequested, RefundRecorded, GuestMailed, ManagementAlerted],
  initialState: (): CancellationSteps => ({ requested: false, refunded: false, mailed: false, alerted: false }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'hotel.RefundRequested':
        return { ...state, requested: true };
      case 'hotel.RefundRecorded':
        return { ...state, refunded: true };
      case 'hotel.GuestMailed':
        return { ...state, mailed: true };
      case 'hotel.ManagementAlerted':
        return { ...state, alerted: true };
      default:
        return event satisfies never;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'hotel.RequestRefund': {
        const { bookingId, guestId, amount } = command.data;
        return state.requested ? [] : [{ type: 'hotel.RefundRequested', data: { bookingId, guestId, amount } }];
      }
      case 'hotel.RecordRefund': {
        const { bookingId, refundId, amount } = command.data;
        return state.refunded ? [] : [{ type: 'hotel.RefundRecorded', data: { bookingId, refundId, amount } }];
      }
      case 'hotel.MailGuest': {
        const { bookingId } = command.data;
        return state.mailed
          ? []
          : [{ type: 'hotel.GuestMailed', data: { bookingId, mailId: effectIds(bookingId).mailId } }];
      }
      case 'hotel.AlertManagement': {
        const { bookingId } = command.data;
        return state.alerted
          ? []
          : [{ type: 'hotel.ManagementAlerted', data: { bookingId, alertId: effectIds(bookingId).alertId } }];
      }
      default:
        return command satisfies never;
    }
  },
});

/** The stream of a booking's cancellation. */
export const cancellationStream = ({ data }: { readonly data: { readonly bookingId: string } }) =>
  streamId('cancellation', data.bookingId);
