import { andThen, DomainError, type PortableDocumentReader, type PortableDocumentTx, projection } from '@twofold/core';
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
 */
// Version 2 added the guest: a store built by version 1 is rebuilt from the log at start.
// Inline on SQLite the handler must not await: `andThen` goes on at once there, and after the read on PostgreSQL.
export const bookingLocator = projection<PortableDocumentTx>('bookingLocator', 2).on(
  RoomBooked,
  ({ bookingId, roomId, guestId }, tx) => {
    const located = tx.collection<Located>('bookings');
    return andThen(located.get(bookingId), (found) => {
      if (found !== undefined) throw new DomainError('BOOKING_EXISTS', `Booking ${bookingId} exists`, { bookingId });
      located.put(bookingId, { roomId, guestId });
    });
  },
);

/** The room of a booking, or undefined when there is no such booking. */
export async function roomOf(reader: PortableDocumentReader, bookingId: string): Promise<string | undefined> {
  return (await reader.collection<Located>('bookings').get(bookingId))?.roomId;
}

/** The guest of a booking, or undefined when there is no such booking. */
export async function guestOf(reader: PortableDocumentReader, bookingId: string): Promise<string | undefined> {
  return (await reader.collection<Located>('bookings').get(bookingId))?.guestId;
}
