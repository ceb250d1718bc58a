// A booking the room's calendar no longer holds (cancelled, checked out, or over) is closed: its id cannot be
// booked again, and nothing more can be done with it.

import { type Client, isRemoteError } from '@twofold/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { addDays, MAX_DAYS_AHEAD } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking, CheckIn, CheckOut, ConfirmBooking } from '../../src/messages/commands.js';
import { injectClient, signIn, startHotel, TODAY } from './setup.js';

let app: App;
let client: Client;
beforeAll(async () => {
  app = await startHotel();
  client = injectClient(app.server, await signIn(app, 'mo', 'manager'));
});
afterAll(() => app?.close());

async function rule(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isRemoteError(error, 'DOMAIN_RULE') ? [error.status, error.rule] : error;
}

it('refuses the id of a cancelled booking, and anything more done with it', async () => {
  const stay = { bookingId: 'c1', roomId: '102', guestId: 'cy', from: addDays(TODAY, 40), to: addDays(TODAY, 41) };
  await client.send(BookRoom, stay);
  await client.send(CancelBooking, { bookingId: 'c1', reason: '' });
  expect(await rule(client.send(BookRoom, { ...stay, from: addDays(TODAY, 50), to: addDays(TODAY, 51) }))).toEqual([
    422,
    'BOOKING_EXISTS',
  ]);
  expect(await rule(client.send(CancelBooking, { bookingId: 'c1', reason: '' }))).toEqual([422, 'NOT_CANCELLABLE']);
  expect(await rule(client.send(CheckIn, { bookingId: 'c1' }))).toEqual([422, 'NOT_CHECKABLE']);
});

it('refuses to cancel, check in or check out again a stay whose guest has left', async () => {
  const stay = { bookingId: 'c2', roomId: '102', guestId: 'cy', from: TODAY, to: addDays(TODAY, 1) };
  await client.send(BookRoom, stay);
  await client.send(ConfirmBooking, { bookingId: 'c2' });
  await client.send(CheckIn, { bookingId: 'c2' });
  await client.send(CheckOut, { bookingId: 'c2' });
  expect(await rule(client.send(CancelBooking, { bookingId: 'c2', reason: '' }))).toEqual([422, 'NOT_CANCELLABLE']);
  expect(await rule(client.send(CheckIn, { bookingId: 'c2' }))).toEqual([422, 'NOT_CHECKABLE']);
  expect(await rule(client.send(CheckOut, { bookingId: 'c2' }))).toEqual([422, 'NOT_CHECKED_IN']);
});

it(`opens bookings ${MAX_DAYS_AHEAD} days ahead`, async () => {
  const from = addDays(TODAY, MAX_DAYS_AHEAD + 1);
  const far = { bookingId: 'c3', roomId: '103', guestId: 'cy', from, to: addDays(from, 1) };
  expect(await rule(client.send(BookRoom, far))).toEqual([422, 'TOO_FAR_AHEAD']);
  await client.send(BookRoom, { ...far, from: addDays(TODAY, MAX_DAYS_AHEAD), to: from });
});
