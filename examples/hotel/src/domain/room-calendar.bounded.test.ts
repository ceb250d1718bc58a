// The room's calendar keeps only what its decisions need: its state does not grow with the bookings the room has
// had, and every decision is the one a calendar that remembers every booking forever would take.

import { type DomainError, isTwofoldError } from '@twofold/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, MAX_DAYS_AHEAD, overlaps } from './dates.js';
import { type Calendar, type CalendarEvent, refundFor, roomCalendar } from './room-calendar.js';

type Command = Parameters<typeof roomCalendar.decide>[0];
type Outcome = { readonly refused: string } | { readonly events: readonly CalendarEvent[] };

const START = '2030-01-01';
const room = '101';
const HOLD_MS = 15 * 60_000;
/** The time `minutes` after midnight on `on`. */
const timeOn = (on: string, minutes = 0) => Date.parse(`${on}T00:00:00Z`) + minutes * 60_000;

/** Decides `command` on the calendar, and folds what it decided into it. */
function step(calendar: Calendar, command: Command): { calendar: Calendar; outcome: Outcome } {
  try {
    const events = roomCalendar.decide(command, calendar);
    return { calendar: events.reduce(roomCalendar.evolve, calendar), outcome: { events } };
  } catch (error) {
    if (!isTwofoldError(error, 'DOMAIN_RULE')) throw error;
    return { calendar, outcome: { refused: (error as DomainError).rule } };
  }
}

const size = (calendar: Calendar) => JSON.stringify(calendar).length;

describe('the room calendar stays small', () => {
  // Each day one guest holds that night; then lets the hold expire, or confirms it and cancels, stays and leaves,
  // or never comes.
  const DAYS = Number(process.env.HOTEL_CALENDAR_DAYS ?? 1500);

  it(`holds as much after ${DAYS} days of bookings as after a few`, () => {
    let calendar = roomCalendar.initialState();
    const sizes: number[] = [];
    const held: number[] = [];
    for (let day = 0; day < DAYS; day++) {
      const on = addDays(START, day);
      const bookingId = `b${day}`;
      const at = (command: Omit<Command, 'data'> & { data: object }) => command as Command;
      const run = (command: Command) => {
        const next = step(calendar, command);
        expect(next.outcome).toHaveProperty('events');
        calendar = next.calendar;
      };
      const heldUntil = timeOn(on) + HOLD_MS;
      run(
        at({
          type: 'hotel.BookRoom',
          data: {
            bookingId,
            roomId: room,
            guestId: 'g',
            from: on,
            to: addDays(on, 1),
            pricePerNight: 80,
            on,
            heldUntil,
          },
        }),
      );
      const located = { bookingId, roomId: room, on };
      if (day % 4 === 3) {
        // Not confirmed in time: the hold is released, and nothing more happens to it.
        run(at({ type: 'hotel.ReleaseHold', data: { ...located, at: heldUntil } }));
        expect(calendar.stays[bookingId]).toBeUndefined();
      } else {
        run(at({ type: 'hotel.ConfirmBooking', data: { ...located, at: heldUntil - 1 } }));
        if (day % 3 === 0) run(at({ type: 'hotel.CancelBooking', data: { ...located, reason: '' } }));
        if (day % 3 === 1) {
          run(at({ type: 'hotel.CheckIn', data: located }));
          run(at({ type: 'hotel.CheckOut', data: { ...located, on: addDays(on, 1) } }));
        }
        // day % 3 === 2: a no-show, over the next day.
      }
      sizes.push(size(calendar));
      held.push(Object.keys(calendar.stays).length);
    }
    // At most the night's own booking; its snapshot a few dozen bytes, as on the first day.
    expect(Math.max(...held)).toBe(1);
    expect(Math.max(...sizes)).toBeLessThan(2 * Math.max(...sizes.slice(0, 6)));
  });
});

/** A calendar that remembers every booking forever, with the rules as the hotel states them. */
interface NaiveStay {
  readonly from: string;
  readonly to: string;
  readonly guestId: string;
  readonly pricePerNight: number;
  readonly total: number;
  readonly heldUntil?: number | undefined;
  status: 'held' | 'booked' | 'expired' | 'checked-in' | 'checked-out' | 'cancelled';
}

function naiveDecide(stays: Map<string, NaiveStay>, command: Command): Outcome {
  const { bookingId, roomId, on } = command.data;
  const stay = stays.get(bookingId);
  const refused = (rule: string) => ({ refused: rule });
  switch (command.type) {
    case 'hotel.BookRoom': {
      const { from, to, guestId, pricePerNight, heldUntil } = command.data;
      if (stay !== undefined) return refused('BOOKING_EXISTS');
      if (from < on) return refused('IN_THE_PAST');
      if (from > addDays(on, MAX_DAYS_AHEAD)) return refused('TOO_FAR_AHEAD');
      for (const other of stays.values()) {
        const taken = other.status === 'held' || other.status === 'booked' || other.status === 'checked-in';
        if (taken && overlaps(other, { from, to })) return refused('ROOM_TAKEN');
      }
      const total = pricePerNight * Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
      const data = { bookingId, roomId, guestId, from, to, pricePerNight, total, bookedOn: on, heldUntil };
      return { events: [{ type: 'hotel.RoomBooked', data }] };
    }
    case 'hotel.ConfirmBooking': {
      if (stay?.status !== 'held' || stay.to <= on) return refused('NOT_CONFIRMABLE');
      if (command.data.at >= (stay.heldUntil ?? 0)) return refused('HOLD_EXPIRED');
      const { guestId, from, to, total } = stay;
      return {
        events: [{ type: 'hotel.BookingConfirmed', data: { bookingId, roomId, guestId, from, to, total, on } }],
      };
    }
    case 'hotel.ReleaseHold': {
      if (stay?.status !== 'held' || stay.to <= on) return { events: [] };
      const heldUntil = stay.heldUntil ?? 0;
      if (command.data.at < heldUntil) return refused('HOLD_NOT_DUE');
      const { guestId, from, to } = stay;
      return { events: [{ type: 'hotel.HoldExpired', data: { bookingId, roomId, guestId, from, to, heldUntil, on } }] };
    }
    case 'hotel.CancelBooking': {
      if ((stay?.status !== 'booked' && stay?.status !== 'held') || stay.to <= on) return refused('NOT_CANCELLABLE');
      const { guestId, from, to } = stay;
      const data = {
        bookingId,
        roomId,
        guestId,
        from,
        to,
        reason: command.data.reason,
        refund: refundFor(
          { guestId, from, to, pricePerNight: stay.pricePerNight, total: stay.total, status: 'booked' },
          on,
        ),
      };
      return { events: [{ type: 'hotel.BookingCancelled', data }] };
    }
    case 'hotel.CheckIn':
      if (stay?.status !== 'booked' || stay.to <= on) return refused('NOT_CHECKABLE');
      if (on < stay.from) return refused('TOO_EARLY');
      return { events: [{ type: 'hotel.GuestCheckedIn', data: { bookingId, roomId, guestId: stay.guestId, on } }] };
    case 'hotel.CheckOut':
      if (stay?.status !== 'checked-in') return refused('NOT_CHECKED_IN');
      return { events: [{ type: 'hotel.GuestCheckedOut', data: { bookingId, roomId, guestId: stay.guestId, on } }] };
    default:
      return command satisfies never;
  }
}

function naiveApply(stays: Map<string, NaiveStay>, events: readonly CalendarEvent[]): void {
  for (const event of events) {
    const stay = stays.get(event.data.bookingId);
    if (event.type === 'hotel.RoomBooked') {
      stays.set(event.data.bookingId, {
        ...event.data,
        status: event.data.heldUntil === undefined ? 'booked' : 'held',
      });
    } else if (stay === undefined) throw new Error(`${event.type} of an unknown booking`);
    else if (event.type === 'hotel.BookingConfirmed') stay.status = 'booked';
    else if (event.type === 'hotel.HoldExpired') stay.status = 'expired';
    else if (event.type === 'hotel.BookingCancelled') stay.status = 'cancelled';
    else if (event.type === 'hotel.GuestCheckedIn') stay.status = 'checked-in';
    else stay.status = 'checked-out';
  }
}

// A day passes (or not), and some minutes of it; then someone books, confirms, cancels, checks in or checks out
// one of the bookings made so far, or its hold is released.
const action = fc.record({
  days: fc.integer({ min: 0, max: 3 }),
  minutes: fc.integer({ min: 0, max: 30 }),
  kind: fc.constantFrom('book', 'book', 'confirm', 'confirm', 'release', 'cancel', 'checkIn', 'checkOut'),
  offset: fc.integer({ min: -2, max: 40 }),
  nights: fc.integer({ min: 1, max: 5 }),
  target: fc.nat(),
});

describe('the bounded room calendar', () => {
  it('decides as a calendar that remembers every booking', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
        let calendar = roomCalendar.initialState();
        const naive = new Map<string, NaiveStay>();
        let day = 0;
        let minute = 0;
        for (const [i, { days, minutes, kind, offset, nights, target }] of actions.entries()) {
          day += days;
          minute = days > 0 ? minutes : Math.min(minute + minutes, 1439);
          const on = addDays(START, day);
          const now = timeOn(on, minute);
          const ids = [...naive.keys()];
          if (kind !== 'book' && ids.length === 0) continue;
          const located = { bookingId: ids[target % Math.max(1, ids.length)]!, roomId: room, on };
          const from = addDays(on, offset);
          const command: Command =
            kind === 'book'
              ? {
                  type: 'hotel.BookRoom',
                  data: {
                    bookingId: `b${i}`,
                    roomId: room,
                    guestId: 'g',
                    from,
                    to: addDays(from, nights),
                    pricePerNight: 80,
                    on,
                    heldUntil: now + HOLD_MS,
                  },
                }
              : kind === 'confirm'
                ? { type: 'hotel.ConfirmBooking', data: { ...located, at: now } }
                : kind === 'release'
                  ? { type: 'hotel.ReleaseHold', data: { ...located, at: now } }
                  : kind === 'cancel'
                    ? { type: 'hotel.CancelBooking', data: { ...located, reason: 'r' } }
                    : kind === 'checkIn'
                      ? { type: 'hotel.CheckIn', data: located }
                      : { type: 'hotel.CheckOut', data: located };
          const expected = naiveDecide(naive, command);
          const next = step(calendar, command);
          expect(next.outcome).toEqual(expected);
          calendar = next.calendar;
          if ('events' in expected) naiveApply(naive, expected.events);
        }
        // The bounded calendar holds every stay that can still change, and no closed one.
        const today = addDays(START, day);
        for (const [id, stay] of naive) {
          const waiting = stay.status === 'booked' || stay.status === 'held';
          const open = stay.status === 'checked-in' || (waiting && stay.to > today);
          const held = stay.status === 'checked-in' || waiting;
          if (open) expect(calendar.stays[id]).toBeDefined();
          if (!held) expect(calendar.stays[id]).toBeUndefined();
        }
        expect(Object.keys(calendar.stays).every((id) => naive.has(id))).toBe(true);
      }),
      { numRuns: Number(process.env.HOTEL_CALENDAR_RUNS ?? 300) },
    );
  });
});
