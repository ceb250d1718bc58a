import { isTwofoldError, type Mediator, type Principal } from '@twofold/core';
import { addDays, today } from '../domain/dates.js';
import { BookRoom, CheckIn, ConfirmBooking, RegisterRoom } from '../messages/commands.js';

const ROOMS = [
  { roomId: '101', number: '101', type: 'single', pricePerNight: 80 },
  { roomId: '102', number: '102', type: 'single', pricePerNight: 80 },
  { roomId: '103', number: '103', type: 'double', pricePerNight: 120 },
  { roomId: '201', number: '201', type: 'double', pricePerNight: 130 },
  { roomId: '202', number: '202', type: 'double', pricePerNight: 130 },
  { roomId: '301', number: '301', type: 'suite', pricePerNight: 260 },
] as const;

// Arrival and departure in days from the first start, so that the demo has guests in the house and arrivals ahead.
const BOOKINGS = [
  { bookingId: 'demo-grace', roomId: '301', guestId: 'grace', from: 0, to: 3, checkIn: true },
  { bookingId: 'demo-alan', roomId: '103', guestId: 'alan', from: 0, to: 2, checkIn: false },
  { bookingId: 'demo-ada', roomId: '201', guestId: 'ada', from: 2, to: 5, checkIn: false },
  { bookingId: 'demo-linus', roomId: '101', guestId: 'linus', from: 7, to: 10, checkIn: false },
] as const;

/** Who the seed acts as: a manager, since it registers rooms and books for several guests. */
const SEEDER: Principal = { id: 'seed', roles: ['manager'] };

/**
 * Registers the demo rooms and bookings, confirmed. Each command carries an idempotency key, so a restart replays the
 * stored outcome instead of booking again: seeding twice changes nothing.
 */
export async function seed(mediator: Mediator, now: number = Date.now()): Promise<void> {
  const day = today(now);
  for (const room of ROOMS) {
    await once(() =>
      mediator.send(RegisterRoom, room, { principal: SEEDER, idempotencyKey: `seed:room:${room.roomId}` }),
    );
  }
  for (const { from, to, checkIn, ...booking } of BOOKINGS) {
    const dates = { from: addDays(day, from), to: addDays(day, to) };
    await once(() =>
      mediator.send(
        BookRoom,
        { ...booking, ...dates },
        {
          principal: SEEDER,
          idempotencyKey: `seed:booking:${booking.bookingId}`,
        },
      ),
    );
    await once(() =>
      mediator.send(
        ConfirmBooking,
        { bookingId: booking.bookingId },
        { principal: SEEDER, idempotencyKey: `seed:confirm:${booking.bookingId}` },
      ),
    );
    if (checkIn) {
      await once(() =>
        mediator.send(
          CheckIn,
          { bookingId: booking.bookingId },
          { principal: SEEDER, idempotencyKey: `seed:checkin:${booking.bookingId}` },
        ),
      );
    }
  }
}

// Data written before the seed had idempotency keys (or by hand) may already say otherwise: keep it. So may a
// seed of an earlier day: its bookings had other dates under the same keys.
async function once(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!isTwofoldError(error, 'DOMAIN_RULE') && !isTwofoldError(error, 'IDEMPOTENCY_KEY_REUSED')) throw error;
  }
}
