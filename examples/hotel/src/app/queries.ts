import type { GlobalPosition, Mediator } from '@twofold/core';
import { cancellationOf, cancellations } from '../cancellation/progress.js';
import { CancellationProgress } from '../cancellation/queries.js';
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

// A booking has one refund at most and a mail for its booking and its cancellation: one page holds them all.
// The refund, the cancellation's mail and the alert are written before the step's event that the cancellations
// read model applies, so a query that waits for it past a step's position finds what the step wrote.
const PER_BOOKING = { limit: 10 } as const;

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
    .query(
      GuestBookings,
      ({ guestId, limit, cursor }) => guestBookings(stores.bookingViews.read(bookings), guestId, { limit, cursor }),
      { reads: [progress.bookings] },
    )
    .query(
      BookingDetails,
      async ({ bookingId }) => {
        const found = await booking(stores.bookingViews.read(bookings), bookingId);
        if (found === undefined) return null;
        const [refunds, mails] = await Promise.all([
          effects.list('refunds', { bookingId }, PER_BOOKING),
          effects.list('mails', { bookingId }, PER_BOOKING),
        ]);
        return { ...found, refunds: refunds.items, mails: mails.items };
      },
      { reads: [progress.bookings, progress.mail, progress.cancellations] },
    )
    .query(GuestMail, ({ guestId, limit, cursor }) => effects.list('mails', { guestId }, { limit, before: cursor }), {
      reads: [progress.mail, progress.cancellations],
    })
    .query(ManagementAlerts, ({ limit, cursor }) => effects.list('alerts', {}, { limit, before: cursor }), {
      reads: [progress.cancellations],
    })
    .query(
      CancellationProgress,
      async ({ bookingId }) => (await cancellationOf(reads.read(cancellations), bookingId)) ?? null,
      { reads: [progress.cancellations] },
    )
    .query(RecentEvents, async ({ limit, cursor }) => {
      const before = cursor === undefined ? undefined : (Number(cursor) as GlobalPosition);
      // One more than asked: it says whether there is a page after this one.
      const events = await writes.readLatest(limit + 1, before);
      const items = events.slice(0, limit).map(({ position, type, streamId, timestamp, data }) => ({
        position,
        type,
        streamId,
        timestamp,
        data: data as Record<string, unknown>,
      }));
      return { items, next: events.length > limit ? String(items[items.length - 1]!.position) : null };
    })
    .query(ProjectionLag, async () => lagView(await readSide.status()));
}
