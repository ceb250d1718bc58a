import { defineCommand } from '@twofold/core';
import { z } from 'zod';
import { isoDate, stay } from '../domain/dates.js';

/** Identifiers chosen by clients: bookings get a UUID from the browser, rooms and guests readable names. */
const id = z.string().trim().min(1).max(64);

export const RoomType = z.enum(['single', 'double', 'suite']);

export const RegisterRoom = defineCommand(
  'hotel.RegisterRoom',
  z.object({
    roomId: id,
    number: z.string().trim().min(1).max(10),
    type: RoomType,
    pricePerNight: z.number().positive().max(100_000),
  }),
  { description: 'Adds a room to the hotel.' },
);

export const BookRoom = defineCommand(
  'hotel.BookRoom',
  stay(z.object({ bookingId: id, roomId: id, guestId: id, from: isoDate, to: isoDate })),
  {
    description:
      'Holds a room for the nights from `from` up to `to` (the day of departure) until hotel.ConfirmBooking confirms it; unconfirmed when its hold time is up, the hold expires and the nights are free again. 422 ROOM_TAKEN when any of those nights is taken.',
    result: z.object({ bookingId: z.string(), total: z.number() }),
  },
);

export const CancelBooking = defineCommand(
  'hotel.CancelBooking',
  z.object({ bookingId: id, reason: z.string().trim().max(500) }),
  { description: 'Cancels a booking: frees its nights, refunds the guest, mails them and alerts management.' },
);

export const CheckIn = defineCommand('hotel.CheckIn', z.object({ bookingId: id }), {
  description: 'The guest of a booking has arrived.',
});

export const CheckOut = defineCommand('hotel.CheckOut', z.object({ bookingId: id }), {
  description: 'The guest of a booking has left; the nights after today are free again.',
});

export const ConfirmBooking = defineCommand('hotel.ConfirmBooking', z.object({ bookingId: id }), {
  description:
    'Confirms a held booking before its hold expires, and mails the guest the confirmation. 422 HOLD_EXPIRED once it has expired.',
});

export const ReleaseHold = defineCommand('hotel.ReleaseHold', z.object({ bookingId: id }), {
  description:
    "Frees the nights of a booking whose hold time is up and that is still unconfirmed, and tells the guest; the hold's timer sends it. Nothing happens to a booking that is confirmed or closed. 422 HOLD_NOT_DUE before the hold time is up.",
});
