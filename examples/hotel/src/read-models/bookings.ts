import { type PortableDocumentReader, type PortableDocumentTx, projection } from '@twofold/core';
import { nightsBetween } from '../domain/dates.js';
import { BookingCancelled, GuestCheckedIn, GuestCheckedOut, RoomBooked, RoomRegistered } from '../messages/events.js';
import type { BookingView } from '../messages/queries.js';

interface RoomRow {
  readonly number: string;
  readonly type: string;
}

/** Bookings as guests and the front desk see them: with the room's number and type, and what was paid. */
export const bookings = projection<PortableDocumentTx>('bookings')
  .on(RoomRegistered, ({ roomId, number, type }, tx) => tx.collection<RoomRow>('rooms').put(roomId, { number, type }))
  .on(RoomBooked, async (booked, tx, event) => {
    const room = await tx.collection<RoomRow>('rooms').get(booked.roomId);
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
  .on(BookingCancelled, async ({ bookingId, reason }, tx) => {
    await tx.collection<BookingView>('bookings').update(bookingId, { status: 'cancelled', reason });
  })
  .on(GuestCheckedIn, async ({ bookingId }, tx) => {
    await tx.collection<BookingView>('bookings').update(bookingId, { status: 'checked-in' });
  })
  .on(GuestCheckedOut, async ({ bookingId }, tx) => {
    await tx.collection<BookingView>('bookings').update(bookingId, { status: 'checked-out' });
  });

/** A guest's bookings, the next arrival first. */
export async function guestBookings(reader: PortableDocumentReader, guestId: string): Promise<BookingView[]> {
  return (await reader.collection<BookingView>('bookings').find({ guestId })).sort(
    (a, b) => a.from.localeCompare(b.from) || a.bookingId.localeCompare(b.bookingId),
  );
}

export async function booking(reader: PortableDocumentReader, bookingId: string): Promise<BookingView | undefined> {
  return reader.collection<BookingView>('bookings').get(bookingId);
}
