import type { Mediator } from '@twofold/core';
import {
  BookingDetails,
  FreeRooms,
  GuestBookings,
  GuestMail,
  ManagementAlerts,
  Occupancy,
  ProjectionLag,
  RecentEvents,
} from '../messages/queries.js';
import { availability, freeRooms, occupancy } from '../read-models/availability.js';
import { booking, bookings, guestBookings } from '../read-models/bookings.js';
import { lagView } from './lag.js';
import type { HotelReadSide } from './read-side.js';
import type { Stores } from './stores.js';

/**
 * Registers the hotel's queries. Each declares what it `reads`, so that a caller who passes the position of its
 * last command (`after`) sees that command's effect: in a projection, or in what a side effect left behind.
 */
export function registerQueries(mediator: Mediator, stores: Stores, { readSide, progress }: HotelReadSide): Mediator {
  const { reads, writes, effects } = stores;
  return mediator
    .query(FreeRooms, ({ from, to }) => freeRooms(reads.read(availability), from, to), {
      reads: [progress.availability],
    })
    .query(Occupancy, ({ date }) => occupancy(reads.read(availability), date), { reads: [progress.availability] })
    .query(GuestBookings, ({ guestId }) => guestBookings(stores.bookingViews.read(bookings), guestId), {
      reads: [progress.bookings],
    })
    .query(
      BookingDetails,
      async ({ bookingId }) => {
        const found = await booking(stores.bookingViews.read(bookings), bookingId);
        if (found === undefined) return null;
        const [refunds, mails] = await Promise.all([
          effects.list('refunds', { bookingId }),
          effects.list('mails', { bookingId }),
        ]);
        return { ...found, refunds, mails };
      },
      { reads: [progress.bookings, progress.refunds, progress.mail] },
    )
    .query(GuestMail, ({ guestId }) => effects.list('mails', { to: guestId }), { reads: [progress.mail] })
    .query(ManagementAlerts, () => effects.list('alerts'), { reads: [progress.alerts] })
    .query(RecentEvents, async ({ limit }) =>
      (await writes.readLatest(limit)).map(({ position, type, streamId, timestamp, data }) => ({
        position,
        type,
        streamId,
        timestamp,
        data: data as Record<string, unknown>,
      })),
    )
    .query(ProjectionLag, async () => lagView(await readSide.status()));
}
