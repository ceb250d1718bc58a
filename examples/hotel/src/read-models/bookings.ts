import { type DocumentReader, type DocumentTx, projection } from '@twofold/core';
import { nightsBetween } from '../domain/dates.js';
import {
  BookingCancelled,
  BookingConfirmed,
  GuestCheckedIn,
  GuestCheckedOut,
  HoldExpired,
  RoomBooked,
  RoomRegistered,
} from '../messages/events.js';
import type { BookingView } from '../messages/queries.js';

interface RoomRow {
  readonly number: string;
  readonly type: string;
}

/**
 * Bookings as guests and the front desk see them: with the room's number and type, what was paid, and while a
 * booking is held, when its hold ends.
 */
// Version 2 added the holds: a store built by version 1 is rebuilt from the log at start.
export const bookings = projection<DocumentTx>('bookings', 2)
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
      status: booked.heldUntil === undefined ? 'booked' : 'held',
      heldUntil: booked.heldUntil ?? null,
      reason: null,
      bookedAt: event.timestamp,
    });
  })
  .on(BookingConfirmed, async ({ bookingId }, tx) => {
    await tx.collection<BookingView>('bookings').update(bookingId, { status: 'booked', heldUntil: null });
  })
  .on(HoldExpired, async ({ bookingId }, tx) => {
    await tx.collection<BookingView>('bookings').update(bookingId, { status: 'expired' });
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

/** The order of a guest's bookings: the earliest arrival first (ties by booking id). */
export const ARRIVAL = { field: 'from', direction: 'asc' } as const;

/**
 * A page of a guest's bookings, the earliest arrival first: those after the cursor (the `next` of the page
 * before), and the cursor of the page after. The index on the guest and the arrival (see the read side) makes a
 * page read only its own bookings, however many the guest has.
 */
export async function guestBookings(
  reader: DocumentReader,
  guestId: string,
  page: { readonly limit: number; readonly cursor?: string | undefined },
): Promise<{ items: BookingView[]; next: string | null }> {
  return reader
    .collection<BookingView>('bookings')
    .page({ guestId }, { orderBy: ARRIVAL, limit: page.limit, after: page.cursor });
}

export async function booking(reader: DocumentReader, bookingId: string): Promise<BookingView | undefined> {
  return reader.collection<BookingView>('bookings').get(bookingId);
}
