// A tour of the Twofold mediator on a tiny hotel: run it with `npm start` from the repository root.
import {
  authenticated,
  authorize,
  createMediator,
  DomainError,
  defineCommand,
  defineEvent,
  defineQuery,
  isTwofoldError,
  metrics,
} from '@twofold/core';
import { z } from 'zod';

const isoDate = z.iso.date();
const BookRoom = defineCommand(
  'hotel.BookRoom',
  z.object({ roomId: z.string(), guest: z.email(), from: isoDate, nights: z.int().positive() }),
  { result: z.object({ bookingId: z.string() }) },
);
const CancelBooking = defineCommand('hotel.CancelBooking', z.object({ bookingId: z.string(), reason: z.string() }));
const RoomBooked = defineEvent(
  'hotel.RoomBooked',
  z.object({ bookingId: z.string(), roomId: z.string(), guest: z.string() }),
);
const BookingCancelled = defineEvent('hotel.BookingCancelled', z.object({ bookingId: z.string(), guest: z.string() }));
const FreeRooms = defineQuery('hotel.FreeRooms', z.object({}), z.array(z.string()));

// The write side: which room is held by which booking. The read side: a view built from events.
const bookings = new Map<string, { roomId: string; guest: string }>();
const freeRooms = new Set(['101', '102', '201']);

const hotel = createMediator()
  .use(authorize({ commands: authenticated, queries: () => true }))
  .use(
    metrics((s) =>
      console.log(`  [metrics] ${s.kind} ${s.type} ${s.ok ? 'ok' : s.error} in ${s.durationMs.toFixed(2)} ms`),
    ),
  )
  .command(BookRoom, async ({ roomId, guest }, { publish }) => {
    if (!freeRooms.has(roomId)) throw new DomainError('ROOM_TAKEN', `Room ${roomId} is not free`);
    const bookingId = `bk-${bookings.size + 1}`;
    bookings.set(bookingId, { roomId, guest });
    await publish(RoomBooked, { bookingId, roomId, guest });
    return { bookingId };
  })
  .command(CancelBooking, async ({ bookingId }, { publish }) => {
    const booking = bookings.get(bookingId);
    if (booking === undefined) throw new DomainError('NO_SUCH_BOOKING', `No booking ${bookingId}`);
    bookings.delete(bookingId);
    freeRooms.add(booking.roomId);
    await publish(BookingCancelled, { bookingId, guest: booking.guest });
  })
  .query(FreeRooms, () => [...freeRooms].sort())
  .on(RoomBooked, ({ roomId }) => {
    freeRooms.delete(roomId);
  })
  .on(RoomBooked, ({ guest, bookingId }) => console.log(`  [mail] to ${guest}: booking ${bookingId} confirmed`))
  .on(BookingCancelled, ({ guest }) =>
    console.log(`  [mail] to ${guest}: your booking is cancelled, refund on its way`),
  )
  .on(BookingCancelled, ({ bookingId }) => console.log(`  [alert] management: ${bookingId} was cancelled`));

const ada = { principal: { id: 'ada' } };
const step = (title: string) => console.log(`\n${title}`);

step('1. Free rooms');
console.log('  ', await hotel.ask(FreeRooms, {}));

step('2. Ada books room 101');
const { bookingId } = await hotel.send(
  BookRoom,
  { roomId: '101', guest: 'ada@example.com', from: '2026-12-01', nights: 2 },
  ada,
);
console.log('   booking id:', bookingId, '| free now:', await hotel.ask(FreeRooms, {}));

step('3. Room 101 again: a domain rule refuses it');
await hotel
  .send(
    BookRoom,
    { roomId: '101', guest: 'bob@example.com', from: '2026-12-01', nights: 1 },
    { principal: { id: 'bob' } },
  )
  .catch((e: unknown) => console.log('  ', e instanceof DomainError ? `${e.rule}: ${e.message}` : e));

step('4. A malformed command never reaches a handler');
await hotel
  .send(BookRoom, { roomId: '102', guest: 'not-an-email', from: '2026-13-01', nights: 0 }, ada)
  .catch((e: unknown) => console.log('  ', isTwofoldError(e) ? `${e.code}: ${e.message}` : e));

step('5. An anonymous caller may read but not write');
await hotel
  .send(CancelBooking, { bookingId, reason: 'x' })
  .catch((e: unknown) => console.log('  ', isTwofoldError(e) ? e.code : e));

step('6. Ada cancels: the refund mail and the management alert follow from one event');
await hotel.send(CancelBooking, { bookingId, reason: 'Change of plans' }, ada);
console.log('   free now:', await hotel.ask(FreeRooms, {}));
