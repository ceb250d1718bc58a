import { DomainError, defineCommand, defineDecider, type MessageOf } from '@twofold/core';
import { z } from 'zod';
import {
  BookingCancelled,
  BookingConfirmed,
  GuestCheckedIn,
  GuestCheckedOut,
  HoldExpired,
  RoomBooked,
} from '../messages/events.js';
import { addDays, MAX_DAYS_AHEAD, nightsBetween, overlaps } from './dates.js';

// What the calendar decides on: each booking command as sent, plus the facts its handler looked up first (the
// room's price, the room a booking is in, today's date, the time now). The decider stays a pure function of its inputs.
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
    heldUntil: z.number(),
  }),
);
export const Cancel = defineCommand('hotel.CancelBooking', z.object({ ...located, reason: z.string() }));
export const CheckIn = defineCommand('hotel.CheckIn', z.object(located));
export const CheckOut = defineCommand('hotel.CheckOut', z.object(located));
const timed = { ...located, at: z.number() };
export const Confirm = defineCommand('hotel.ConfirmBooking', z.object(timed));
export const Release = defineCommand('hotel.ReleaseHold', z.object(timed));

/** An event the calendar decides. */
export type CalendarEvent = MessageOf<
  | typeof RoomBooked
  | typeof BookingConfirmed
  | typeof HoldExpired
  | typeof BookingCancelled
  | typeof GuestCheckedIn
  | typeof GuestCheckedOut
>;

/** What the bookings among `events` cost. */
export function totalBooked(events: readonly CalendarEvent[]): number {
  return events.reduce((sum, e) => (e.type === 'hotel.RoomBooked' ? sum + e.data.total : sum), 0);
}

/**
 * Where a stay the calendar holds is: held until confirmed, booked (confirmed), or the guest is in. Cancelled,
 * expired and checked-out stays are closed.
 */
export type StayStatus = 'held' | 'booked' | 'checked-in';

export interface Stay {
  readonly guestId: string;
  readonly from: string;
  readonly to: string;
  readonly pricePerNight: number;
  readonly total: number;
  readonly status: StayStatus;
  /** While held: when the hold ends, in ms since the epoch. */
  readonly heldUntil?: number;
}

/**
 * One room's open stays, by booking id: those booked whose day of departure has not come, and those whose guest
 * is in. Nothing else can change a decision, so nothing else is kept: closed stays leave the calendar.
 */
export interface Calendar {
  readonly stays: Readonly<Record<string, Stay>>;
}

/** A stay nobody arrived for is over on its day of departure: nothing can be done with it any more. */
const over = (stay: Stay, on: string) => stay.status !== 'checked-in' && stay.to <= on;

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
  commands: [Book, Confirm, Release, Cancel, CheckIn, CheckOut],
  events: [RoomBooked, BookingConfirmed, HoldExpired, BookingCancelled, GuestCheckedIn, GuestCheckedOut],
  initialState: (): Calendar => ({ stays: {} }),
  evolve: (calendar, event): Calendar => {
    switch (event.type) {
      case 'hotel.RoomBooked': {
        const { bookingId, guestId, from, to, pricePerNight, total, bookedOn, heldUntil } = event.data;
        const { stays } = asOf(calendar, bookedOn);
        const stay: Stay =
          heldUntil === undefined
            ? { guestId, from, to, pricePerNight, total, status: 'booked' }
            : { guestId, from, to, pricePerNight, total, status: 'held', heldUntil };
        return { stays: { ...stays, [bookingId]: stay } };
      }
      case 'hotel.BookingConfirmed':
        return moved(asOf(calendar, event.data.on), event.data.bookingId, 'booked');
      case 'hotel.HoldExpired':
        return asOf(without(calendar, event.data.bookingId), event.data.on);
      case 'hotel.BookingCancelled':
        return without(calendar, event.data.bookingId);
      case 'hotel.GuestCheckedIn':
        return moved(asOf(calendar, event.data.on), event.data.bookingId, 'checked-in');
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
        const { guestId, from, to, pricePerNight, heldUntil } = command.data;
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
        const booked = { bookingId, roomId, guestId, from, to, pricePerNight, total, bookedOn: on, heldUntil };
        return [{ type: 'hotel.RoomBooked', data: booked }];
      }
      case 'hotel.ConfirmBooking': {
        const found = openStay(stay, bookingId, 'NOT_CONFIRMABLE');
        if (found.status !== 'held') {
          throw new DomainError('NOT_CONFIRMABLE', `Booking ${bookingId} is ${found.status}`, { status: found.status });
        }
        if (command.data.at >= (found.heldUntil ?? 0)) throw holdExpired(bookingId, found.heldUntil ?? 0);
        const { guestId, from, to, total } = found;
        return [{ type: 'hotel.BookingConfirmed', data: { bookingId, roomId, guestId, from, to, total, on } }];
      }
      case 'hotel.ReleaseHold': {
        // Confirmed, cancelled or over meanwhile: there is no hold left to release.
        if (stay?.status !== 'held') return [];
        const heldUntil = stay.heldUntil ?? 0;
        if (command.data.at < heldUntil) {
          throw new DomainError('HOLD_NOT_DUE', `The hold on booking ${bookingId} lasts until ${iso(heldUntil)}`, {
            heldUntil,
          });
        }
        const { guestId, from, to } = stay;
        return [{ type: 'hotel.HoldExpired', data: { bookingId, roomId, guestId, from, to, heldUntil, on } }];
      }
      case 'hotel.CancelBooking': {
        const found = openStay(stay, bookingId, 'NOT_CANCELLABLE');
        if (found.status === 'checked-in') {
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
        // A held booking is not the guest's yet: it is confirmed first.
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

const iso = (ms: number) => new Date(ms).toISOString();

/** A held booking confirmed at or after the end of its hold. */
export function holdExpired(bookingId: string, heldUntil: number): DomainError {
  return new DomainError('HOLD_EXPIRED', `The hold on booking ${bookingId} expired at ${iso(heldUntil)}`, {
    heldUntil,
  });
}

function without(calendar: Calendar, bookingId: string): Calendar {
  if (calendar.stays[bookingId] === undefined) return calendar;
  const stays = { ...calendar.stays };
  delete stays[bookingId];
  return { stays };
}

// A stay moved on from held (confirmed) or from booked (checked in): no hold is left on it.
function moved(calendar: Calendar, bookingId: string, status: StayStatus): Calendar {
  const stay = calendar.stays[bookingId];
  if (stay === undefined) return calendar;
  const { heldUntil: _, ...rest } = stay;
  return { stays: { ...calendar.stays, [bookingId]: { ...rest, status } } };
}
