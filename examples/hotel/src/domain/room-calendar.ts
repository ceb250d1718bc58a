import { DomainError, defineCommand, defineDecider, type MessageOf } from '@twofold/core';
import { z } from 'zod';
import { BookingCancelled, GuestCheckedIn, GuestCheckedOut, RoomBooked } from '../messages/events.js';
import { addDays, MAX_DAYS_AHEAD, nightsBetween, overlaps } from './dates.js';

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

/** Where a stay the calendar holds is: booked, or the guest is in. Cancelled and checked-out stays are closed. */
export type StayStatus = 'booked' | 'checked-in';

export interface Stay {
  readonly guestId: string;
  readonly from: string;
  readonly to: string;
  readonly pricePerNight: number;
  readonly total: number;
  readonly status: StayStatus;
}

/**
 * One room's open stays, by booking id: those booked whose day of departure has not come, and those whose guest
 * is in. Nothing else can change a decision, so nothing else is kept: closed stays leave the calendar.
 */
export interface Calendar {
  readonly stays: Readonly<Record<string, Stay>>;
}

/** A booked stay is over on its day of departure: nobody arrived, and nothing can be done with it any more. */
const over = (stay: Stay, on: string) => stay.status === 'booked' && stay.to <= on;

/** The calendar without the stays that are over on `on`: time passing closes them as cancelling would. */
function asOf(calendar: Calendar, on: string | undefined): Calendar {
  if (on === undefined) return calendar;
  const ids = Object.keys(calendar.stays).filter((id) => over(calendar.stays[id]!, on));
  if (ids.length === 0) return calendar;
  const stays = { ...calendar.stays };
  for (const id of ids) delete stays[id];
  return { stays };
}

/** What a cancellation gives back: everything before the day of arrival, all but the first night from then on. */
export function refundFor(stay: Stay, cancelledOn: string): number {
  return cancelledOn < stay.from ? stay.total : Math.max(0, stay.total - stay.pricePerNight);
}

/**
 * A room's calendar, event-sourced: one stream per room. Every booking of the room is decided against the
 * room's open stays, and the commit expects the stream's version, so two guests racing for the same night
 * cannot both win: the second commit conflicts, is retried on the new calendar, and is refused with ROOM_TAKEN.
 *
 * Its state stays small however many bookings the room has had: a stay leaves it when it is cancelled, when its
 * guest checks out, or when its day of departure comes with nobody checked in (each event carries the day it
 * happened on); and bookings open {@link MAX_DAYS_AHEAD} days ahead. A booking that left is closed: the
 * booking locator still knows it, so a second booking under its id is refused, and so is anything else done to it.
 */
export const roomCalendar = defineDecider({
  name: 'roomCalendar',
  commands: [Book, Cancel, CheckIn, CheckOut],
  events: [RoomBooked, BookingCancelled, GuestCheckedIn, GuestCheckedOut],
  initialState: (): Calendar => ({ stays: {} }),
  evolve: (calendar, event): Calendar => {
    switch (event.type) {
      case 'hotel.RoomBooked': {
        const { bookingId, guestId, from, to, pricePerNight, total, bookedOn } = event.data;
        const { stays } = asOf(calendar, bookedOn);
        return { stays: { ...stays, [bookingId]: { guestId, from, to, pricePerNight, total, status: 'booked' } } };
      }
      case 'hotel.BookingCancelled':
        return without(calendar, event.data.bookingId);
      case 'hotel.GuestCheckedIn':
        return checkedIn(asOf(calendar, event.data.on), event.data.bookingId);
      case 'hotel.GuestCheckedOut':
        return asOf(without(calendar, event.data.bookingId), event.data.on);
      default:
        return event satisfies never;
    }
  },
  decide: (command, calendar) => {
    const { bookingId, roomId, on } = command.data;
    // The same answer whether or not an event has already closed the stays that are over today.
    const open = asOf(calendar, on);
    const stay = open.stays[bookingId];
    switch (command.type) {
      case 'hotel.BookRoom': {
        const { guestId, from, to, pricePerNight } = command.data;
        if (stay !== undefined) throw new DomainError('BOOKING_EXISTS', `Booking ${bookingId} exists`, { bookingId });
        if (from < on) throw new DomainError('IN_THE_PAST', `${from} is in the past`, { from });
        const last = addDays(on, MAX_DAYS_AHEAD);
        if (from > last) {
          throw new DomainError('TOO_FAR_AHEAD', `Bookings are open up to ${last}`, { from, last });
        }
        const taken = Object.values(open.stays).find((other) => overlaps(other, { from, to }));
        if (taken !== undefined) {
          const nights = { from: taken.from > from ? taken.from : from, to: taken.to < to ? taken.to : to };
          throw new DomainError('ROOM_TAKEN', `Room ${roomId} is booked from ${nights.from} to ${nights.to}`, {
            roomId,
            ...nights,
          });
        }
        const total = pricePerNight * nightsBetween(from, to);
        const booked = { bookingId, roomId, guestId, from, to, pricePerNight, total, bookedOn: on };
        return [{ type: 'hotel.RoomBooked', data: booked }];
      }
      case 'hotel.CancelBooking': {
        const found = openStay(stay, bookingId, 'NOT_CANCELLABLE');
        if (found.status !== 'booked') {
          throw new DomainError('NOT_CANCELLABLE', `Booking ${bookingId} is ${found.status}`, {
            status: found.status,
          });
        }
        const { guestId, from, to } = found;
        const { reason } = command.data;
        return [
          {
            type: 'hotel.BookingCancelled',
            data: { bookingId, roomId, guestId, from, to, reason, refund: refundFor(found, on) },
          },
        ];
      }
      case 'hotel.CheckIn': {
        const found = openStay(stay, bookingId, 'NOT_CHECKABLE');
        if (found.status !== 'booked') {
          throw new DomainError('NOT_CHECKABLE', `Booking ${bookingId} is ${found.status}`, { status: found.status });
        }
        if (on < found.from) {
          throw new DomainError('TOO_EARLY', `Booking ${bookingId} starts on ${found.from}`, { from: found.from });
        }
        return [{ type: 'hotel.GuestCheckedIn', data: { bookingId, roomId, guestId: found.guestId, on } }];
      }
      case 'hotel.CheckOut': {
        const found = openStay(stay, bookingId, 'NOT_CHECKED_IN');
        if (found.status !== 'checked-in') {
          throw new DomainError('NOT_CHECKED_IN', `Booking ${bookingId} is ${found.status}`, { status: found.status });
        }
        return [{ type: 'hotel.GuestCheckedOut', data: { bookingId, roomId, guestId: found.guestId, on } }];
      }
      default:
        return command satisfies never;
    }
  },
});

// The handler found the booking in this room (or answered 404): one the calendar does not hold is closed.
function openStay(stay: Stay | undefined, bookingId: string, rule: string): Stay {
  if (stay === undefined) {
    throw new DomainError(rule, `Booking ${bookingId} is closed: cancelled, checked out, or its stay is over`, {
      status: 'closed',
    });
  }
  return stay;
}

function without(calendar: Calendar, bookingId: string): Calendar {
  if (calendar.stays[bookingId] === undefined) return calendar;
  const stays = { ...calendar.stays };
  delete stays[bookingId];
  return { stays };
}

function checkedIn(calendar: Calendar, bookingId: string): Calendar {
  const stay = calendar.stays[bookingId];
  return stay === undefined
    ? calendar
    : { stays: { ...calendar.stays, [bookingId]: { ...stay, status: 'checked-in' } } };
}
