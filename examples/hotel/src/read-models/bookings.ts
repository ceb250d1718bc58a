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

/**
 * A page of a guest's bookings, the earliest arrival first: those after the cursor (`<from>/<bookingId>` of the
 * last booking of the page before), and the cursor of the page after.
 */
export async function guestBookings(
  reader: PortableDocumentReader,
  guestId: string,
  page: { readonly limit: number; readonly cursor?: string | undefined },
): Promise<{ items: BookingView[]; next: string | null }> {
  // The guestId index finds the guest's bookings, which are ordered and cut here: a document query has no order
  // or limit yet, so every page reads all of the guest's bookings (the hotel README says so).
  const key = (b: BookingView) => `${b.from}/${b.bookingId}`;
  const after = page.cursor ?? '';
  const found = (await reader.collection<BookingView>('bookings').find({ guestId }))
    .filter((b) => key(b) > after)
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const items = found.slice(0, page.limit);
  return { items, next: found.length > page.limit ? key(items[items.length - 1]!) : null };
}

export async function booking(reader: PortableDocumentReader, bookingId: string): Promise<BookingView | undefined> {
  return reader.collection<BookingView>('bookings').get(bookingId);
}
