// The room's calendar with holds: a booking is held until confirmed, and a hold whose time is up is released.
import { given } from '@twofold/core/testing';
import { describe, it } from 'vitest';
import { roomCalendar } from '../domain/room-calendar.js';

const ON = '2030-01-01';
const BOOKED_AT = Date.parse('2030-01-01T10:00:00Z');
const HELD_UNTIL = BOOKED_AT + 15 * 60_000;
const stay = { bookingId: 'b1', roomId: '101', guestId: 'ada', from: '2030-05-10', to: '2030-05-12' };

const held = {
  type: 'hotel.RoomBooked',
  data: { ...stay, pricePerNight: 100, total: 200, bookedOn: ON, heldUntil: HELD_UNTIL },
} as const;
const confirmed = { type: 'hotel.BookingConfirmed', data: { ...stay, total: 200, on: ON } } as const;
const expired = { type: 'hotel.HoldExpired', data: { ...stay, heldUntil: HELD_UNTIL, on: ON } } as const;
const located = { bookingId: 'b1', roomId: '101', on: ON };
const confirm = (at: number) => ({ type: 'hotel.ConfirmBooking', data: { ...located, at } }) as const;
const release = (at: number) => ({ type: 'hotel.ReleaseHold', data: { ...located, at } }) as const;
const bookAgain = {
  type: 'hotel.BookRoom',
  data: { ...stay, bookingId: 'b2', guestId: 'bob', pricePerNight: 100, on: ON, heldUntil: HELD_UNTIL + 60_000 },
} as const;

describe('a held booking', () => {
  it('is confirmed before its hold ends, by the last millisecond', () => {
    given(roomCalendar, [held])
      .when(confirm(HELD_UNTIL - 1))
      .thenEvents([confirmed]);
  });

  it('is refused HOLD_EXPIRED from the end of its hold, even before the hold is released', () => {
    given(roomCalendar, [held]).when(confirm(HELD_UNTIL)).thenRefuses('HOLD_EXPIRED');
  });

  it('is refused once confirmed, and once expired', () => {
    given(roomCalendar, [held, confirmed])
      .when(confirm(HELD_UNTIL - 1))
      .thenRefuses('NOT_CONFIRMABLE');
    given(roomCalendar, [held, expired])
      .when(confirm(HELD_UNTIL - 1))
      .thenRefuses('NOT_CONFIRMABLE');
  });

  it('keeps its nights from other guests while held', () => {
    given(roomCalendar, [held]).when(bookAgain).thenRefuses('ROOM_TAKEN');
  });

  it('cannot be checked in until confirmed', () => {
    given(roomCalendar, [held])
      .when({ type: 'hotel.CheckIn', data: { ...located, on: '2030-05-10' } })
      .thenRefuses('NOT_CHECKABLE');
  });

  it('can be cancelled, with the whole price refunded before the day of arrival', () => {
    given(roomCalendar, [held])
      .when({ type: 'hotel.CancelBooking', data: { ...located, reason: 'no' } })
      .thenEvents([{ type: 'hotel.BookingCancelled', data: { ...stay, reason: 'no', refund: 200 } }]);
  });
});

describe('releasing a hold', () => {
  it('expires a booking still held when its time is up, and frees its nights', () => {
    given(roomCalendar, [held]).when(release(HELD_UNTIL)).thenEvents([expired]);
    given(roomCalendar, [held, expired])
      .when(bookAgain)
      .thenEvents([
        {
          type: 'hotel.RoomBooked',
          data: {
            ...stay,
            bookingId: 'b2',
            guestId: 'bob',
            pricePerNight: 100,
            total: 200,
            bookedOn: ON,
            heldUntil: HELD_UNTIL + 60_000,
          },
        },
      ]);
  });

  it('is refused HOLD_NOT_DUE before the time is up', () => {
    given(roomCalendar, [held])
      .when(release(HELD_UNTIL - 1))
      .thenRefuses('HOLD_NOT_DUE');
  });

  it('does nothing to a booking confirmed, cancelled or expired meanwhile', () => {
    given(roomCalendar, [held, confirmed]).when(release(HELD_UNTIL)).thenEvents([]);
    given(roomCalendar, [held, expired]).when(release(HELD_UNTIL)).thenEvents([]);
    given(roomCalendar, [held, { type: 'hotel.BookingCancelled', data: { ...stay, reason: '', refund: 200 } }])
      .when(release(HELD_UNTIL))
      .thenEvents([]);
  });
});
