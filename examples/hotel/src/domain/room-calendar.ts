import { DomainError, defineCommand, defineDecider, type MessageOf } from '@twofold/core';
import { z } from 'zod';
import { BookingCancelled, GuestCheckedIn, GuestCheckedOut, RoomBooked } from '../messages/events.js';
import { nightsBetween, overlaps } from './dates.js';

// What the calendar decides on: each booking command as sent, plus the facts its handler looked up first (the
// room's price, the room a booking is in, today's date). The decider stays a pure function of its inputs.
const located = { bookingId: z.string(), roomId: z.string(), on: z.string() };
export const Book = defineCommand(
  'hotel.BookRoom',
  z.object({
    bookingId: z.string(),
    roomId: z.string(),
    guestId: z.string(),
    from: z.string(),
    to: z.string(),
    pricePerNight: z.number(),
    on: z.string(),
  }),
);
export const Cancel = defineCommand('hotel.CancelBooking', z.object({ ...located, reason: z.string() }));
export const CheckIn = defineCommand('hotel.CheckIn', z.object(located));
export const CheckOut = defineCommand('hotel.CheckOut', z.object(located));

/** An event the calendar decides. */
export type CalendarEvent = MessageOf<
  typeof RoomBooked | typeof BookingCancelled | typeof GuestCheckedIn | typeof GuestCheckedOut
>;

/** What the bookings among `events` cost. */
export function totalBooked(events: readonly CalendarEvent[]): number {
  return events.reduce((sum, e) => (e.type === 'hotel.RoomBooked' ? sum + e.data.total : sum), 0);
}

export type StayStatus = 'booked' | 'checked-in' | 'checked-out' | 'cancelled';

export interface Stay {
  readonly guestId: string;
  readonly from: string;
  readonly to: string;
  readonly pricePerNight: number;
  readonly total: number;
  readonly status: StayStatus;
}

/** One room's bookings, by booking id. */
export interface Calendar {
  readonly stays: Readonly<Record<string, Stay>>;
}

const holdsNights = (stay: Stay) => stay.status === 'booked' || stay.status === 'checked-in';

/** What a cancellation gives back: everything before the day of arrival, all but the first night from then on. */
export function refundFor(stay: Stay, cancelledOn: string): number {
  return cancelledOn < stay.from ? stay.total : Math.max(0, stay.total - stay.pricePerNight);
}

/**
 * A room's calendar, event-sourced: one stream per room. Every booking of the room is decided against the
 * room's whole calendar, and the commit expects the stream's version, so two guests racing for the same night
 * cannot both win: the second commit conflicts, is retried on the new calendar, and is refused with ROOM_TAKEN.
 */
export const roomCalendar = defineDecider({
  name: 'roomCalendar',
  commands: [Book, Cancel, CheckIn, CheckOut],
  events: [RoomBooked, BookingCancelled, GuestCheckedIn, GuestCheckedOut],
  initialState: (): Calendar => ({ stays: {} }),
  evolve: (calendar, event): Calendar => {
    switch (event.type) {
      case 'hotel.RoomBooked': {
        const { bookingId, guestId, from, to, pricePerNight, total } = event.data;
        return {
          stays: { ...calendar.stays, [bookingId]: { guestId, from, to, pricePerNight, total, status: 'booked' } },
        };
      }
      case 'hotel.BookingCancelled':
        return withStatus(calendar, event.data.bookingId, 'cancelled');
      case 'hotel.GuestCheckedIn':
        return withStatus(calendar, event.data.bookingId, 'checked-in');
      case 'hotel.GuestCheckedOut':
        return withStatus(calendar, event.data.bookingId, 'checked-out');
      default:
        return event satisfies never;
    }
  },
  decide: (command, calendar) => {
    const { bookingId, roomId } = command.data;
    const stay = calendar.stays[bookingId];
    switch (command.type) {
      case 'hotel.BookRoom': {
        const { guestId, from, to, pricePerNight, on } = command.data;
        if (stay !== undefined) throw new DomainError('BOOKING_EXISTS', `Booking ${bookingId} exists`, { bookingId });
        if (from < on) throw new DomainError('IN_THE_PAST', `${from} is in the past`, { from });
        const taken = Object.values(calendar.stays).find(
          (other) => holdsNights(other) && overlaps(other, { from, to }),
        );
        if (taken !== undefined) {
          const nights = { from: taken.from > from ? taken.from : from, to: taken.to < to ? taken.to : to };
          throw new DomainError('ROOM_TAKEN', `Room ${roomId} is booked from ${nights.from} to ${nights.to}`, {
            roomId,
            ...nights,
          });
        }
        const total = pricePerNight * nightsBetween(from, to);
        return [{ type: 'hotel.RoomBooked', data: { bookingId, roomId, guestId, from, to, pricePerNight, total } }];
      }
      case 'hotel.CancelBooking': {
        const found = existing(stay, bookingId);
        if (found.status !== 'booked') {
          throw new DomainError('NOT_CANCELLABLE', `Booking ${bookingId} is ${found.status}`, {
            status: found.status,
          });
        }
        const { guestId, from, to } = found;
        const { reason, on } = command.data;
        return [
          {
            type: 'hotel.BookingCancelled',
            data: { bookingId, roomId, guestId, from, to, reason, refund: refundFor(found, on) },
          },
        ];
      }
      case 'hotel.CheckIn': {
        const found = existing(stay, bookingId);
        const { on } = command.data;
        if (found.status !== 'booked') {
          throw new DomainError('NOT_CHECKABLE', `Booking ${bookingId} is ${found.status}`, { status: found.status });
        }
        if (on < found.from) {
          throw new DomainError('TOO_EARLY', `Booking ${bookingId} starts on ${found.from}`, { from: found.from });
        }
        return [{ type: 'hotel.GuestCheckedIn', data: { bookingId, roomId, guestId: found.guestId, on } }];
      }
      case 'hotel.CheckOut': {
        const found = existing(stay, bookingId);
        if (found.status !== 'checked-in') {
          throw new DomainError('NOT_CHECKED_IN', `Booking ${bookingId} is ${found.status}`, { status: found.status });
        }
        const { on } = command.data;
        return [{ type: 'hotel.GuestCheckedOut', data: { bookingId, roomId, guestId: found.guestId, on } }];
      }
      default:
        return command satisfies never;
    }
  },
});

function existing(stay: Stay | undefined, bookingId: string): Stay {
  if (stay === undefined) throw new DomainError('UNKNOWN_BOOKING', `This room has no booking ${bookingId}`);
  return stay;
}

function withStatus(calendar: Calendar, bookingId: string, status: StayStatus): Calendar {
  const stay = calendar.stays[bookingId];
  return stay === undefined ? calendar : { stays: { ...calendar.stays, [bookingId]: { ...stay, status } } };
}
