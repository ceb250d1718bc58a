import { given } from '@twofold/core/testing';
import { describe, it } from 'vitest';
import { holdExpiry } from './hold-expiry.js';

const MINUTE = 60_000;
const stay = { bookingId: 'b1', roomId: '101', guestId: 'ada', from: '2030-05-10', to: '2030-05-12' };
// The kit's clock starts at 0: this hold ends 15 minutes in.
const held = {
  type: 'hotel.RoomBooked',
  data: { ...stay, pricePerNight: 100, total: 200, bookedOn: '2030-01-01', heldUntil: 15 * MINUTE },
} as const;
const release = { type: 'hotel.ReleaseHold', data: { bookingId: 'b1' } } as const;

describe('the hold on a booking', () => {
  it('sets a timer for the end of the hold', () => {
    given(holdExpiry)
      .when(held)
      .thenSends([], { state: { heldUntil: 15 * MINUTE }, timers: { expiry: 15 * MINUTE }, completed: false });
  });

  it('sends ReleaseHold when the hold ends unconfirmed, once, and completes', () => {
    given(holdExpiry, [held])
      .when({ after: 15 * MINUTE })
      .thenSends([release], { timers: {}, completed: true });
    given(holdExpiry, [held, { after: 15 * MINUTE }])
      .when({ after: 60 * MINUTE })
      .thenSends([], { completed: true });
  });

  it('sends nothing before the hold ends', () => {
    given(holdExpiry, [held])
      .when({ after: 15 * MINUTE - 1 })
      .thenSends([], { timers: { expiry: 15 * MINUTE }, completed: false });
  });

  it('completes, its timer gone, when the booking is confirmed, cancelled or expired first', () => {
    const ends = [
      { type: 'hotel.BookingConfirmed', data: { ...stay, total: 200, on: '2030-01-01' } },
      { type: 'hotel.BookingCancelled', data: { ...stay, reason: '', refund: 200 } },
      { type: 'hotel.HoldExpired', data: { ...stay, heldUntil: 15 * MINUTE, on: '2030-01-01' } },
    ] as const;
    for (const end of ends) {
      given(holdExpiry, [held, { after: 10 * MINUTE }])
        .when(end)
        .thenSends([], { timers: {}, completed: true });
      given(holdExpiry, [held, end])
        .when({ after: 15 * MINUTE })
        .thenSends([], { completed: true });
    }
  });

  it('leaves a booking without a hold alone: it was confirmed when booked', () => {
    const { heldUntil: _, ...data } = held.data;
    given(holdExpiry).when({ type: 'hotel.RoomBooked', data }).thenSends([], { timers: {}, completed: false });
    given(holdExpiry)
      .when({ type: 'hotel.BookingCancelled', data: { ...stay, reason: '', refund: 200 } })
      .thenSends([], { completed: false });
  });
});
