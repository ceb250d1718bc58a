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
 * was added have none).
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
  }),
);

export const BookingCancelled = defineEvent(
  'hotel.BookingCancelled',
  z.object({ ...booking, from: z.string(), to: z.string(), reason: z.string(), refund: z.number() }),
);

export const GuestCheckedIn = defineEvent('hotel.GuestCheckedIn', z.object({ ...booking, on: z.string() }));

export const GuestCheckedOut = defineEvent('hotel.GuestCheckedOut', z.object({ ...booking, on: z.string() }));
