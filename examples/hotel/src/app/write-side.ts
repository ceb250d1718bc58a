import { type Mediator, streamId, TwofoldError, writeModels } from '@twofold/core';
import { today } from '../domain/dates.js';
import { type CalendarEvent, roomCalendar, totalBooked } from '../domain/room-calendar.js';
import { type Room, rooms } from '../domain/rooms.js';
import { BookRoom, CancelBooking, CheckIn, CheckOut, RegisterRoom } from '../messages/commands.js';
import { bookingLocator, roomOf } from '../read-models/booking-locator.js';
import type { Stores } from './stores.js';

/**
 * Registers the hotel's command handlers: rooms are state-stored, each room's calendar is event-sourced. The
 * booking locator is applied inline: brought up to the end of the log now, then kept within each commit.
 */
export async function registerCommands(mediator: Mediator, stores: Stores, clock: () => number): Promise<Mediator> {
  const { writes } = stores;
  const locator = await stores.inline.start(writes);
  const models = writeModels({ store: writes, participants: [locator.participant] });

  const calendar = { stream: ({ data }: { data: { roomId: string } }) => streamId('calendar', data.roomId) };
  const book = models.eventSourced(roomCalendar, {
    ...calendar,
    snapshotEvery: 50,
    result: ({ events }: { readonly events: readonly CalendarEvent[] }) => totalBooked(events),
  });
  const change = models.eventSourced(roomCalendar, { ...calendar, snapshotEvery: 50 });

  // The calendar decides on a command plus what its handler looks up: the room's price, or the booking's room.
  const located = async (bookingId: string) => {
    const roomId = await roomOf(stores.inline.documents.read(bookingLocator), bookingId);
    if (roomId === undefined) throw new TwofoldError('NOT_FOUND', `There is no booking ${bookingId}`);
    return { bookingId, roomId, on: today(clock()) };
  };

  return mediator
    .command(RegisterRoom, models.stateStored(rooms, { id: ({ data }) => data.roomId }))
    .command(BookRoom, async (data, ctx) => {
      const room = await writes.load(rooms.name, data.roomId);
      if (room === undefined) throw new TwofoldError('NOT_FOUND', `There is no room ${data.roomId}`);
      const { pricePerNight } = room.state as Room;
      const total = await book({ ...data, pricePerNight, on: today(clock()) }, ctx);
      return { bookingId: data.bookingId, total };
    })
    .command(CancelBooking, async (data, ctx) =>
      change({ ...(await located(data.bookingId)), reason: data.reason }, ctx),
    )
    .command(CheckIn, async (data, ctx) => change(await located(data.bookingId), ctx))
    .command(CheckOut, async (data, ctx) => change(await located(data.bookingId), ctx));
}
