import { type DocumentReader, type DocumentTx, DomainError, type InlineDocumentTx, projection } from '@twofold/core';
import { RoomBooked } from '../messages/events.js';

interface Located {
  readonly roomId: string;
  readonly guestId: string;
}

/**
 * Which room each booking is in, and whose it is. Cancelling, checking in and checking out name only the
 * booking, but the rule lives in the room's calendar, so their handlers look the room up here first; and a
 * guest may act only on their own bookings, so the permissions look the guest up here. It is applied inline, in
 * the booking's own transaction, so it is never behind; and like a unique index it refuses a booking id twice.
 *
 * An inline projection runs inside the write store's transaction, and that transaction is what decides how it
 * reads: SQLite's (and the in-memory store's) is synchronous, so this handler gets an `InlineDocumentTx` and reads
 * at once; PostgreSQL's is asynchronous, so {@link bookingLocatorOnPostgres} awaits the same read. Both keep the
 * same documents under the same name, and queries read either one through the same `DocumentReader`.
 */
// Version 2 added the guest: a store built by version 1 is rebuilt from the log at start.
export const bookingLocator = projection<InlineDocumentTx>('bookingLocator', 2).on(RoomBooked, (booked, tx) => {
  const located = tx.collection<Located>('bookings');
  located.put(booked.bookingId, locate(booked, located.get(booked.bookingId)));
});

/** The {@link bookingLocator} as PostgreSQL applies it inline, in its asynchronous write transaction. */
export const bookingLocatorOnPostgres = projection<DocumentTx>('bookingLocator', 2).on(
  RoomBooked,
  async (booked, tx) => {
    const located = tx.collection<Located>('bookings');
    located.put(booked.bookingId, locate(booked, await located.get(booked.bookingId)));
  },
);

// Where a booking is, refusing a booking id the locator already holds.
function locate(booked: { bookingId: string; roomId: string; guestId: string }, found: Located | undefined): Located {
  const { bookingId, roomId, guestId } = booked;
  if (found !== undefined) throw new DomainError('BOOKING_EXISTS', `Booking ${bookingId} exists`, { bookingId });
  return { roomId, guestId };
}

/** The room of a booking, or undefined when there is no such booking. */
export async function roomOf(reader: DocumentReader, bookingId: string): Promise<string | undefined> {
  return (await reader.collection<Located>('bookings').get(bookingId))?.roomId;
}

/** The guest of a booking, or undefined when there is no such booking. */
export async function guestOf(reader: DocumentReader, bookingId: string): Promise<string | undefined> {
  return (await reader.collection<Located>('bookings').get(bookingId))?.guestId;
}
