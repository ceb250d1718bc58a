import { type DocumentReader, type DocumentTx, DomainError, type InlineDocumentTx, projection } from '@twofold/core';
import { HoldExpired, RoomBooked } from '../messages/events.js';

interface Located {
  readonly roomId: string;
  readonly guestId: string;
  /** When its hold expired (its end, ms since the epoch), for a booking whose hold expired unconfirmed. */
  readonly expired?: number;
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
 *
 * It also keeps which holds expired, so that confirming one is refused as HOLD_EXPIRED rather than as closed.
 */
// Version 2 added the guest, version 3 the expired holds: a store built by an older version is rebuilt at start.
export const bookingLocator = projection<InlineDocumentTx>('bookingLocator', 3)
  .on(RoomBooked, (booked, tx) => {
    const located = tx.collection<Located>('bookings');
    located.put(booked.bookingId, locate(booked, located.get(booked.bookingId)));
  })
  .on(HoldExpired, ({ bookingId, heldUntil }, tx) => {
    tx.collection<Located>('bookings').update(bookingId, { expired: heldUntil });
  });

/** The {@link bookingLocator} as PostgreSQL applies it inline, in its asynchronous write transaction. */
export const bookingLocatorOnPostgres = projection<DocumentTx>('bookingLocator', 3)
  .on(RoomBooked, async (booked, tx) => {
    const located = tx.collection<Located>('bookings');
    located.put(booked.bookingId, locate(booked, await located.get(booked.bookingId)));
  })
  .on(HoldExpired, async ({ bookingId, heldUntil }, tx) => {
    await tx.collection<Located>('bookings').update(bookingId, { expired: heldUntil });
  });

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

/** When the hold of a booking expired unconfirmed (ms since the epoch), or undefined when it did not. */
export async function holdExpiredAt(reader: DocumentReader, bookingId: string): Promise<number | undefined> {
  return (await reader.collection<Located>('bookings').get(bookingId))?.expired;
}
