import { type DocumentReader, type DocumentTx, projection } from '@twofold/core';
import { nightsBetween } from '../domain/dates.js';
import { BookingCancelled, GuestCheckedIn, GuestCheckedOut, RoomBooked, RoomRegistered } from '../messages/events.js';
import type { BookingView } from '../messages/queries.js';

interface RoomRow {
  readonly number: string;
  readonly type: string;
}

/** Bookings as guests and the front desk see them: with the room's number and type, and what was paid. */
export const bookings = projection<DocumentTx>('bookings')
  .on(RoomRegistered, ({ roomId, number, type }, tx) => tx.collection<RoomRow>('rooms').put(roomId, { number, type }))
  .on(RoomBooked, (booked, tx, event) => {
    const room = tx.collection<RoomRow>('rooms').get(booked.roomId);
    tx.collection<BookingView>('bookings').put(booked.bookingId, {
      bookingId: booked.bookingId,
      roomId: booked.roomId,
      roomNumber: room?.number ?? booked.roomId,
      roomType: room?.type ?? '',
      guestId: booked.guestId,
      from: booked.from,
      to: booked.to,
      nights: nightsBetween(booked.from, booked.to),
      pricePerNight: booked.pricePerNight,
      total: booked.total,
      status: 'booked',
      reason: null,
      bookedAt: event.timestamp,
    });
  })
  .on(BookingCancelled, ({ bookingId, reason }, tx) => {
    tx.collection<BookingView>('bookings').update(bookingId, { status: 'cancelled', reason });
  })
  .on(GuestCheckedIn, ({ bookingId }, tx) => {
    tx.collection<BookingView>('bookings').update(bookingId, { status: 'checked-in' });
  })
  .on(GuestCheckedOut, ({ bookingId }, tx) => {
    tx.collection<BookingView>('bookings').update(bookingId, { status: 'checked-out' });
  });

/** A guest's bookings, the next arrival first. */
export function guestBookings(reader: DocumentReader, guestId: string): BookingView[] {
  return reader
    .collection<BookingView>('bookings')
    .find({ guestId })
    .sort((a, b) => a.from.localeCompare(b.from) || a.bookingId.localeCompare(b.bookingId));
}

export function booking(reader: DocumentReader, bookingId: string): BookingView | undefined {
  return reader.collection<BookingView>('bookings').get(bookingId);
}
