import { isTwofoldError, type Mediator, streamId, TwofoldError, writeModels } from '@twofold/core';
import { natsOutbox } from '@twofold/nats';
import { registerCancellation } from '../cancellation/handlers.js';
import { RefundRequested } from '../cancellation/messages.js';
import { today } from '../domain/dates.js';
import { type CalendarEvent, holdExpired, roomCalendar, totalBooked } from '../domain/room-calendar.js';
import { type Room, rooms } from '../domain/rooms.js';
import {
  BookRoom,
  CancelBooking,
  CheckIn,
  CheckOut,
  ConfirmBooking,
  RegisterRoom,
  ReleaseHold,
} from '../messages/commands.js';
import { bookingLocator, holdExpiredAt, roomOf } from '../read-models/booking-locator.js';
import type { Stores } from './stores.js';

/** What the write side reads the time from, and how long a booking is held for its guest to confirm it. */
export interface WriteSideOptions {
  readonly clock: () => number;
  readonly holdMs: number;
}

/**
 * Registers the hotel's command handlers: rooms are state-stored, each room's calendar is event-sourced. The
 * booking locator is applied inline: brought up to the end of the log now, then kept within each commit. The steps
 * of a cancellation (see `src/cancellation/`) are registered too.
 */
export async function registerCommands(
  mediator: Mediator,
  stores: Stores,
  { clock, holdMs }: WriteSideOptions,
): Promise<Mediator> {
  const { writes } = stores;
  const inline = await stores.inline.start(writes);
  // Refund requests leave for billing through the outbox, written in the commit that raises them.
  const toBilling = natsOutbox(stores.outbox, { types: [RefundRequested.type] });
  const models = writeModels({ store: writes, participants: [inline.participant, toBilling] });
  registerCancellation(mediator, models, stores);

  const calendar = { stream: ({ data }: { data: { roomId: string } }) => streamId('calendar', data.roomId) };
  const book = models.eventSourced(roomCalendar, {
    ...calendar,
    snapshotEvery: 50,
    result: ({ events }: { readonly events: readonly CalendarEvent[] }) => totalBooked(events),
  });
  const change = models.eventSourced(roomCalendar, { ...calendar, snapshotEvery: 50 });

  const locator = () => stores.inline.documents.read(bookingLocator);
  // The calendar decides on a command plus what its handler looks up: the room's price, or the booking's room.
  const located = async (bookingId: string) => {
    const roomId = await roomOf(locator(), bookingId);
    if (roomId === undefined) throw new TwofoldError('NOT_FOUND', `There is no booking ${bookingId}`);
    return { bookingId, roomId, on: today(clock()) };
  };
  const timed = async (bookingId: string) => ({ ...(await located(bookingId)), at: clock() });

  return mediator
    .command(RegisterRoom, models.stateStored(rooms, { id: ({ data }) => data.roomId }))
    .command(BookRoom, async (data, ctx) => {
      const room = await writes.load(rooms.name, data.roomId);
      if (room === undefined) throw new TwofoldError('NOT_FOUND', `There is no room ${data.roomId}`);
      const { pricePerNight } = room.state as Room;
      const now = clock();
      const total = await book({ ...data, pricePerNight, on: today(now), heldUntil: now + holdMs }, ctx);
      return { bookingId: data.bookingId, total };
    })
    .command(CancelBooking, async (data, ctx) =>
      change({ ...(await located(data.bookingId)), reason: data.reason }, ctx),
    )
    .command(ConfirmBooking, async (data, ctx) => {
      try {
        return await change(await timed(data.bookingId), ctx);
      } catch (error) {
        // A closed booking whose hold expired is refused as such; the locator records it with the expiry.
        const expired = isTwofoldError(error, 'DOMAIN_RULE')
          ? await holdExpiredAt(locator(), data.bookingId)
          : undefined;
        throw expired === undefined ? error : holdExpired(data.bookingId, expired);
      }
    })
    .command(ReleaseHold, async (data, ctx) => change(await timed(data.bookingId), ctx))
    .command(CheckIn, async (data, ctx) => change(await located(data.bookingId), ctx))
    .command(CheckOut, async (data, ctx) => change(await located(data.bookingId), ctx));
}
