import { defineProcessManager } from '@twofold/core';
import { ReleaseHold } from '../messages/commands.js';
import { BookingCancelled, BookingConfirmed, HoldExpired, RoomBooked } from '../messages/events.js';

/** A booking's hold, as the process manager keeps it: when it ends, while the booking waits for confirmation. */
export interface Hold {
  readonly heldUntil?: number;
}

// A booking with no hold (recorded before holds were added) has nothing to end: its events change nothing.
const ended = (hold: Hold) => (hold.heldUntil === undefined ? {} : { complete: true });

/**
 * The hold on each booking, one instance per booking id: a held booking sets a timer for the end of its hold;
 * confirmed, cancelled or expired before then, the instance completes and its timer is gone; when the timer falls
 * due, it sends `hotel.ReleaseHold`, which frees the nights of a booking still unconfirmed. The timer is stored with
 * the instance, so it survives a restart, and it fires once.
 *
 * @example
 * new ProcessManagerRunner({ processManager: holdExpiry, feed: stores.writes, store: stores.processes, deadLetters });
 */
export const holdExpiry = defineProcessManager({
  name: 'hotel.holds',
  events: [RoomBooked, BookingConfirmed, BookingCancelled, HoldExpired],
  commands: [ReleaseHold],
  initialState: (): Hold => ({}),
  correlate: {
    'hotel.RoomBooked': (data) => data.bookingId,
    'hotel.BookingConfirmed': (data) => data.bookingId,
    'hotel.BookingCancelled': (data) => data.bookingId,
    'hotel.HoldExpired': (data) => data.bookingId,
  },
  on: {
    'hotel.RoomBooked': (_, { heldUntil }) =>
      heldUntil === undefined ? {} : { state: { heldUntil }, setTimers: { expiry: heldUntil } },
    'hotel.BookingConfirmed': ended,
    'hotel.BookingCancelled': ended,
    'hotel.HoldExpired': ended,
  },
  timers: {
    expiry: (_, { correlation }) => ({
      send: [{ type: 'hotel.ReleaseHold', data: { bookingId: correlation } }],
      complete: true,
    }),
  },
});
