import { given } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { addDays, MAX_DAYS_AHEAD } from './dates.js';
import { refundFor, roomCalendar } from './room-calendar.js';

const booked = {
  type: 'hotel.RoomBooked',
  data: {
    bookingId: 'b1',
    roomId: '101',
    guestId: 'ada',
    from: '2030-05-10',
    to: '2030-05-13',
    pricePerNight: 100,
    total: 300,
  },
} as const;
/** Until when a booking made in these specs is held. */
const HELD = Date.parse('2030-01-01T10:15:00Z');
const book = (bookingId: string, from: string, to: string) =>
  ({
    type: 'hotel.BookRoom',
    data: { bookingId, roomId: '101', guestId: 'bob', from, to, pricePerNight: 100, on: '2030-01-01', heldUntil: HELD },
  }) as const;
const bookedBy = (bookingId: string, from: string, to: string, total: number) =>
  ({
    type: 'hotel.RoomBooked',
    data: {
      bookingId,
      roomId: '101',
      guestId: 'bob',
      from,
      to,
      pricePerNight: 100,
      total,
      bookedOn: '2030-01-01',
      heldUntil: HELD,
    },
  }) as const;
const located = (bookingId: string, on: string) => ({ bookingId, roomId: '101', on });
const checkedIn = { type: 'hotel.GuestCheckedIn', data: { ...located('b1', '2030-05-10'), guestId: 'ada' } } as const;

describe('booking a room', () => {
  it('books free nights at the price of the room', () => {
    given(roomCalendar)
      .when(book('b2', '2030-05-01', '2030-05-04'))
      .thenEvents([
        {
          type: 'hotel.RoomBooked',
          data: {
            bookingId: 'b2',
            roomId: '101',
            guestId: 'bob',
            from: '2030-05-01',
            to: '2030-05-04',
            pricePerNight: 100,
            total: 300,
            bookedOn: '2030-01-01',
            heldUntil: HELD,
          },
        },
      ]);
  });

  it('refuses any night already booked', () => {
    given(roomCalendar, [booked])
      .when(book('b2', '2030-05-12', '2030-05-14'))
      .thenRefuses('ROOM_TAKEN');
    given(roomCalendar, [booked])
      .when(book('b2', '2030-05-01', '2030-05-20'))
      .thenRefuses('ROOM_TAKEN');
    given(roomCalendar, [booked, checkedIn])
      .when(book('b2', '2030-05-11', '2030-05-12'))
      .thenRefuses('ROOM_TAKEN');
  });

  it('takes the day of departure as free: the next guest may arrive that day', () => {
    given(roomCalendar, [booked])
      .when(book('b2', '2030-05-13', '2030-05-15'))
      .thenEvents([
        {
          type: 'hotel.RoomBooked',
          data: {
            bookingId: 'b2',
            roomId: '101',
            guestId: 'bob',
            from: '2030-05-13',
            to: '2030-05-15',
            pricePerNight: 100,
            total: 200,
            bookedOn: '2030-01-01',
            heldUntil: HELD,
          },
        },
      ]);
  });

  it('books the nights of a cancelled booking again', () => {
    const cancelled = {
      type: 'hotel.BookingCancelled',
      data: {
        bookingId: 'b1',
        roomId: '101',
        guestId: 'ada',
        from: '2030-05-10',
        to: '2030-05-13',
        reason: '',
        refund: 300,
      },
    } as const;
    given(roomCalendar, [booked, cancelled])
      .when(book('b2', '2030-05-10', '2030-05-13'))
      .thenEvents([bookedBy('b2', '2030-05-10', '2030-05-13', 300)]);
  });

  it(`refuses a first night more than ${MAX_DAYS_AHEAD} days ahead`, () => {
    const last = addDays('2030-01-01', MAX_DAYS_AHEAD);
    given(roomCalendar)
      .when(book('b2', last, addDays(last, 1)))
      .thenEvents([bookedBy('b2', last, addDays(last, 1), 100)]);
    given(roomCalendar)
      .when(book('b2', addDays(last, 1), addDays(last, 2)))
      .thenRefuses('TOO_FAR_AHEAD');
  });

  it('refuses nights in the past', () => {
    given(roomCalendar)
      .when({
        ...book('b2', '2030-05-01', '2030-05-02'),
        data: { ...book('b2', '2030-05-01', '2030-05-02').data, on: '2030-05-02' },
      })
      .thenRefuses('IN_THE_PAST');
  });

  it('refuses a booking id twice', () => {
    given(roomCalendar, [booked])
      .when(book('b1', '2030-06-01', '2030-06-02'))
      .thenRefuses('BOOKING_EXISTS');
  });
});

describe('cancelling', () => {
  it('refunds everything before the day of arrival', () => {
    given(roomCalendar, [booked])
      .when({ type: 'hotel.CancelBooking', data: { ...located('b1', '2030-05-09'), reason: 'plans changed' } })
      .thenEvents([
        {
          type: 'hotel.BookingCancelled',
          data: {
            bookingId: 'b1',
            roomId: '101',
            guestId: 'ada',
            from: '2030-05-10',
            to: '2030-05-13',
            reason: 'plans changed',
            refund: 300,
          },
        },
      ]);
  });

  it('keeps the first night from the day of arrival on', () => {
    const stay = { guestId: 'ada', from: '2030-05-10', to: '2030-05-13', pricePerNight: 100, total: 300 } as const;
    expect(refundFor({ ...stay, status: 'booked' }, '2030-05-10')).toBe(200);
    expect(refundFor({ ...stay, status: 'booked' }, '2030-05-20')).toBe(200);
  });

  it('refuses a closed, a started or an ended booking', () => {
    const cancel = { type: 'hotel.CancelBooking', data: { ...located('b1', '2030-05-01'), reason: '' } } as const;
    given(roomCalendar).when(cancel).thenRefuses('NOT_CANCELLABLE');
    given(roomCalendar, [booked, checkedIn]).when(cancel).thenRefuses('NOT_CANCELLABLE');
    given(roomCalendar, [booked])
      .when({ ...cancel, data: { ...cancel.data, on: '2030-05-13' } })
      .thenRefuses('NOT_CANCELLABLE');
  });
});

describe('checking in and out', () => {
  it('checks in from the day of arrival, then out', () => {
    given(roomCalendar, [booked])
      .when({ type: 'hotel.CheckIn', data: located('b1', '2030-05-10') })
      .thenEvents([checkedIn]);
    given(roomCalendar, [booked, checkedIn])
      .when({ type: 'hotel.CheckOut', data: located('b1', '2030-05-12') })
      .thenEvents([{ type: 'hotel.GuestCheckedOut', data: { ...located('b1', '2030-05-12'), guestId: 'ada' } }]);
  });

  it('refuses to check in early, twice, or to check out a guest who never arrived', () => {
    given(roomCalendar, [booked])
      .when({ type: 'hotel.CheckIn', data: located('b1', '2030-05-09') })
      .thenRefuses('TOO_EARLY');
    given(roomCalendar, [booked, checkedIn])
      .when({ type: 'hotel.CheckIn', data: located('b1', '2030-05-10') })
      .thenRefuses('NOT_CHECKABLE');
    given(roomCalendar, [booked])
      .when({ type: 'hotel.CheckOut', data: located('b1', '2030-05-10') })
      .thenRefuses('NOT_CHECKED_IN');
    given(roomCalendar, [booked])
      .when({ type: 'hotel.CheckIn', data: located('b1', '2030-05-13') })
      .thenRefuses('NOT_CHECKABLE');
  });

  it('frees the rest of the stay once the guest has left', () => {
    const out = { type: 'hotel.GuestCheckedOut', data: { ...located('b1', '2030-05-11'), guestId: 'ada' } } as const;
    given(roomCalendar, [booked, checkedIn, out])
      .when(book('b2', '2030-05-11', '2030-05-12'))
      .thenEvents([bookedBy('b2', '2030-05-11', '2030-05-12', 100)]);
  });
});
