import { defineEvent } from '@twofold/core';
import { z } from 'zod';
import { RoomType } from './commands.js';

export const RoomRegistered = defineEvent(
  'hotel.RoomRegistered',
  z.object({ roomId: z.string(), number: z.string(), type: RoomType, pricePerNight: z.number() }),
);

const booking = { bookingId: z.string(), roomId: z.string(), guestId: z.string() };

/**
 * The price is part of the booking: a later change of the room's price does not change what the guest pays.
 * `bookedOn`, the day it was booked, tells the room's calendar which stays are over (bookings recorded before it
 * was added have none). `heldUntil` (ms since the epoch) says the booking is held until then, waiting for
 * `BookingConfirmed`; bookings recorded before holds were added have none and are confirmed.
 */
export const RoomBooked = defineEvent(
  'hotel.RoomBooked',
  z.object({
    ...booking,
    from: z.string(),
    to: z.string(),
    pricePerNight: z.number(),
    total: z.number(),
    bookedOn: z.string().optional(),
    heldUntil: z.number().optional(),
  }),
);

export const BookingCancelled = defineEvent(
  'hotel.BookingCancelled',
  z.object({ ...booking, from: z.string(), to: z.string(), reason: z.string(), refund: z.number() }),
);

export const GuestCheckedIn = defineEvent('hotel.GuestCheckedIn', z.object({ ...booking, on: z.string() }));

export const GuestCheckedOut = defineEvent('hotel.GuestCheckedOut', z.object({ ...booking, on: z.string() }));

/** A held booking is confirmed: the nights are the guest's. */
export const BookingConfirmed = defineEvent(
  'hotel.BookingConfirmed',
  z.object({ ...booking, from: z.string(), to: z.string(), total: z.number(), on: z.string() }),
);

/** A held booking was not confirmed in time: its nights are free again. */
export const HoldExpired = defineEvent(
  'hotel.HoldExpired',
  z.object({ ...booking, from: z.string(), to: z.string(), heldUntil: z.number(), on: z.string() }),
);
