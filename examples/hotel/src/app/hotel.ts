import {
  createMediator,
  globalPosition,
  inlineProjection,
  type Mediator,
  ProjectionRunner,
  type ProjectionStatus,
  ReadSide,
  SubscriberRunner,
  type SubscriberStatus,
  streamId,
  TwofoldError,
  writeModels,
} from '@twofold/core';
import { today } from '../domain/dates.js';
import { type CalendarEvent, roomCalendar, totalBooked } from '../domain/room-calendar.js';
import { type Room, rooms } from '../domain/rooms.js';
import { guestMail, managementAlerts, refunds } from '../effects/subscribers.js';
import { TrackedCheckpoints } from '../effects/tracked-checkpoints.js';
import { BookRoom, CancelBooking, CheckIn, CheckOut, RegisterRoom } from '../messages/commands.js';
import {
  BookingDetails,
  FreeRooms,
  GuestBookings,
  GuestMail,
  type LagView,
  ManagementAlerts,
  Occupancy,
  ProjectionLag,
  RecentEvents,
} from '../messages/queries.js';
import { availability, freeRooms, occupancy } from '../read-models/availability.js';
import { bookingLocator, roomOf } from '../read-models/booking-locator.js';
import { booking, bookings, guestBookings } from '../read-models/bookings.js';
import type { Stores } from './stores.js';

export interface HotelOptions {
  /** The clock that says which day it is. Default: Date.now. */
  readonly clock?: () => number;
  /** The longest a query waits for its read models to catch up with the caller's writes. Default: 5 s. */
  readonly consistencyTimeout?: number;
}

/** The hotel: its mediator (every command and query), and the read side that runs beside it. */
export interface Hotel {
  readonly mediator: Mediator;
  readonly readSide: ReadSide;
  start(): void;
  stop(): Promise<void>;
}

/** Wires the hotel's write models, read models and side effects onto the stores. */
export async function createHotel(stores: Stores, options: HotelOptions = {}): Promise<Hotel> {
  const clock = options.clock ?? Date.now;
  const { writes, reads } = stores;

  // The write side. The locator is applied inline: built up to the log's end now, then kept within each commit.
  const locator = inlineProjection(bookingLocator, stores.inline);
  await new ProjectionRunner({ projection: bookingLocator, store: stores.inline, feed: writes }).catchUp();
  const models = writeModels({ store: writes, participants: [locator.participant] });
  const calendarOf = { stream: ({ data }: { data: { roomId: string } }) => streamId('calendar', data.roomId) };
  const book = models.eventSourced(roomCalendar, {
    ...calendarOf,
    snapshotEvery: 50,
    result: ({ events }: { readonly events: readonly CalendarEvent[] }) => totalBooked(events),
  });
  const change = models.eventSourced(roomCalendar, { ...calendarOf, snapshotEvery: 50 });
  const locate = (bookingId: string) => {
    const roomId = roomOf(stores.inline.read(bookingLocator), bookingId);
    if (roomId === undefined) throw new TwofoldError('NOT_FOUND', `There is no booking ${bookingId}`);
    return { bookingId, roomId, on: today(clock()) };
  };

  // The read side: asynchronous projections into the read store, and side effects with their own checkpoints.
  reads.index?.(availability, 'nights', ['date']);
  reads.index?.(availability, 'nights', ['bookingId']);
  reads.index?.(bookings, 'bookings', ['guestId']);
  const checkpoints = new TrackedCheckpoints(stores.checkpoints);
  const projections = [availability, bookings].map(
    (p) => new ProjectionRunner({ projection: p, store: reads, feed: writes }),
  );
  const [availabilityRunner, bookingsRunner] = projections as [ProjectionRunner, ProjectionRunner];
  const subscribers = [refunds, guestMail, managementAlerts].map(
    (effect) =>
      new SubscriberRunner({
        subscriber: effect(stores.effects),
        feed: writes,
        checkpoints,
        deadLetters: stores.deadLetters,
      }),
  );
  const readSide = new ReadSide({ projections, subscribers });
  const progress = (name: string) => checkpoints.progress(name);

  const mediator = createMediator({ consistencyTimeout: options.consistencyTimeout ?? 5000 })
    .command(RegisterRoom, models.stateStored(rooms, { id: ({ data }) => data.roomId }))
    .command(BookRoom, async (data, ctx) => {
      const room = await writes.load(rooms.name, data.roomId);
      if (room === undefined) throw new TwofoldError('NOT_FOUND', `There is no room ${data.roomId}`);
      const { pricePerNight } = room.state as Room;
      const total = await book({ ...data, pricePerNight, on: today(clock()) }, ctx);
      return { bookingId: data.bookingId, total };
    })
    .command(CancelBooking, (data, ctx) => change({ ...locate(data.bookingId), reason: data.reason }, ctx))
    .command(CheckIn, (data, ctx) => change(locate(data.bookingId), ctx))
    .command(CheckOut, (data, ctx) => change(locate(data.bookingId), ctx))
    .query(FreeRooms, ({ from, to }) => freeRooms(reads.read(availability), from, to), {
      reads: [availabilityRunner.progress],
    })
    .query(Occupancy, ({ date }) => occupancy(reads.read(availability), date), { reads: [availabilityRunner.progress] })
    .query(GuestBookings, ({ guestId }) => guestBookings(reads.read(bookings), guestId), {
      reads: [bookingsRunner.progress],
    })
    .query(
      BookingDetails,
      async ({ bookingId }) => {
        const found = booking(reads.read(bookings), bookingId);
        if (found === undefined) return null;
        const [refunds, mails] = await Promise.all([
          stores.effects.list('refunds', { bookingId }),
          stores.effects.list('mails', { bookingId }),
        ]);
        return { ...found, refunds, mails };
      },
      { reads: [bookingsRunner.progress, progress('billing.refunds'), progress('mail.guests')] },
    )
    .query(GuestMail, ({ guestId }) => stores.effects.list('mails', { to: guestId }), {
      reads: [progress('mail.guests')],
    })
    .query(ManagementAlerts, () => stores.effects.list('alerts'), { reads: [progress('alerts.management')] })
    .query(RecentEvents, async ({ limit }) => {
      const head = await writes.head();
      const events = await writes.readAll(globalPosition(Math.max(0, head - limit)), limit);
      return events
        .map(({ position, type, streamId, timestamp, data }) => ({
          position,
          type,
          streamId,
          timestamp,
          data: data as Record<string, unknown>,
        }))
        .reverse();
    })
    .query(ProjectionLag, async () => lagOf(await readSide.status()));

  return {
    mediator,
    readSide,
    start: () => readSide.start(),
    stop: () => readSide.stop(),
  };
}

function lagOf(status: {
  readonly projections: readonly ProjectionStatus[];
  readonly subscribers: readonly SubscriberStatus[];
}): LagView {
  return {
    projections: status.projections.map((p) => ({
      name: p.name,
      state: p.state,
      position: p.position,
      head: p.head,
      lagEvents: p.lagEvents,
      lagMs: p.lagMs,
      error: p.failure === undefined ? null : messageOf(p.failure.error),
    })),
    subscribers: status.subscribers.map((s) => ({
      name: s.name,
      running: s.running,
      position: s.position,
      head: s.head,
      lagEvents: s.lagEvents,
      deadLetters: s.deadLetters,
      error: s.retrying === undefined ? null : messageOf(s.retrying.error),
    })),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
