// A booking is held until its guest confirms it; a hold not confirmed in time expires: the holds' process manager
// sends hotel.ReleaseHold when its timer falls due, a worker runs it, the nights are free again and the guest is
// told. Over HTTP, in memory, on SQLite and on PostgreSQL, on a clock the tests move; and across a restart.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, isRemoteError } from '@twofold/client';
import { globalPosition, START } from '@twofold/core';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import type { StoresConfig } from '../../src/app/stores.js';
import { addDays } from '../../src/domain/dates.js';
import { holdExpiry } from '../../src/holds/hold-expiry.js';
import { BookRoom, CancelBooking, ConfirmBooking, ReleaseHold } from '../../src/messages/commands.js';
import { BookingDetails, FreeRooms, GuestMail, Occupancy } from '../../src/messages/queries.js';
import { cancellationCompleted, clock, injectClient, signIn, startHotel, TODAY } from './setup.js';

const HOLD_MS = 10 * 60_000;

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'twofold-hotel-holds-'));
  dirs.push(dir);
  return dir;
};

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRemoteError(error)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return [error.status, error.rule ?? error.code];
}

/** The id of the ReleaseHold the holds' process manager sends for a booking: its instance's second version. */
const releaseOf = (bookingId: string) => `${holdExpiry.name}:${bookingId}:2:0`;

/**
 * Waits until the holds' process manager has handled the log up to `position` (the position of a client's last
 * command): its checkpoint commits with what it did, so from then on its instance and timers show that command.
 */
async function handled(app: App, position: number | undefined) {
  if (position === undefined) throw new Error('no command has committed yet');
  const runner = app.hotel.processManagers.find((pm) => pm.name === holdExpiry.name);
  if (runner === undefined) throw new Error(`no ${holdExpiry.name} process manager runs`);
  await runner.progress.waitFor(globalPosition(position), AbortSignal.timeout(10_000));
}

/**
 * Fires the holds' timers due by the hotel's clock now (those the running process manager has not fired yet), then
 * waits for the ReleaseHold of `bookingId` to have run, as a manager reading its status resource.
 */
async function expiry(app: App, manager: Client, bookingId: string) {
  for (const runner of app.hotel.processManagers) await runner.fireTimers();
  return manager.waitFor(releaseOf(bookingId), { timeoutMs: 10_000 });
}

const storages: { storage: string; config: () => StoresConfig }[] = [
  { storage: 'in memory', config: () => ({}) },
  { storage: 'on SQLite', config: () => ({ dataDir: dataDir() }) },
  { storage: 'on PostgreSQL', config: () => ({ postgres: { url: postgres.url, schema: 'holds' } }) },
];

describe.each(storages)('a held booking $storage', ({ config }) => {
  let now = clock();
  let app: App;
  let guest: Client;
  let manager: Client;
  beforeAll(async () => {
    app = await startHotel({ ...config(), clock: () => now, holdMs: HOLD_MS });
    guest = injectClient(app.server, await signIn(app, 'hana', 'guest'));
    manager = injectClient(app.server, await signIn(app, 'max', 'manager'));
  });
  afterAll(() => app?.close());

  let next = 0;
  const book = async (day: number) => {
    const bookingId = `hold-${++next}`;
    const stay = { bookingId, roomId: '202', guestId: 'hana', from: addDays(TODAY, day), to: addDays(TODAY, day + 2) };
    await guest.send(BookRoom, stay);
    await handled(app, guest.position);
    return stay;
  };

  it('is confirmed by its guest before the hold ends, and the confirmation is mailed then', async () => {
    const { bookingId } = await book(20);
    const held = await guest.ask(BookingDetails, { bookingId });
    expect(held).toMatchObject({ status: 'held', heldUntil: now + HOLD_MS, mails: [] });
    now += HOLD_MS - 1;
    await guest.send(ConfirmBooking, { bookingId });
    await handled(app, guest.position);
    const details = await guest.ask(BookingDetails, { bookingId });
    expect(details).toMatchObject({ status: 'booked', heldUntil: null });
    expect(details?.mails.map((m) => m.subject)).toEqual([
      `Room 202 from ${addDays(TODAY, 20)} to ${addDays(TODAY, 22)}: confirmed`,
    ]);
    expect(await refusal(guest.send(ConfirmBooking, { bookingId }))).toEqual([422, 'NOT_CONFIRMABLE']);
    // Its timer is gone with the instance: time passing releases nothing.
    expect(await app.stores.processes.instance(holdExpiry.name, bookingId)).toMatchObject({ closed: true, timers: {} });
    now += HOLD_MS;
    for (const runner of app.hotel.processManagers) expect(await runner.fireTimers()).toBe(0);
    expect((await guest.ask(BookingDetails, { bookingId }))?.status).toBe('booked');
  });

  it('expires unconfirmed: the nights are free again, the guest is told, and confirming is 422 HOLD_EXPIRED', async () => {
    const { bookingId, from, to } = await book(30);
    expect((await guest.ask(FreeRooms, { from, to })).map((r) => r.roomId)).not.toContain('202');
    // The occupancy board shows the held nights as booked until the hold expires.
    const board = async (after: Client['position']) =>
      (await manager.ask(Occupancy, { date: from }, after === undefined ? {} : { after })).byRoom.find(
        (r) => r.roomId === '202',
      );
    expect(await board(guest.position)).toMatchObject({ status: 'booked', bookingId, guestId: 'hana' });
    expect(await refusal(guest.send(ReleaseHold, { bookingId }))).toEqual([403, 'FORBIDDEN']);
    now += HOLD_MS;
    // Refused from the end of the hold on, whether or not the timer has fired yet.
    expect(await refusal(guest.send(ConfirmBooking, { bookingId }))).toEqual([422, 'HOLD_EXPIRED']);

    const released = await expiry(app, manager, bookingId);
    expect(released).toMatchObject({ status: 'succeeded', type: 'hotel.ReleaseHold', attempts: 1 });
    const details = await manager.ask(BookingDetails, { bookingId });
    expect(details).toMatchObject({ status: 'expired', heldUntil: now });
    expect(details?.mails.map((m) => m.subject)).toEqual([`Room 202 from ${from} to ${to}: hold expired`]);
    expect((await manager.ask(FreeRooms, { from, to })).map((r) => r.roomId)).toContain('202');
    expect((await board(manager.position))?.status).toBe('free');

    const late = await guest.send(ConfirmBooking, { bookingId }).catch((e: unknown) => e);
    expect(isRemoteError(late, 'DOMAIN_RULE') && [late.status, late.rule, late.message]).toEqual([
      422,
      'HOLD_EXPIRED',
      `The hold on booking ${bookingId} expired at ${new Date(now).toISOString()}`,
    ]);
    expect(await refusal(guest.send(CancelBooking, { bookingId, reason: '' }))).toEqual([422, 'NOT_CANCELLABLE']);
  });

  it('can be cancelled while held, which ends its hold', async () => {
    const { bookingId, from, to } = await book(40);
    await guest.send(CancelBooking, { bookingId, reason: 'changed my mind' });
    await handled(app, guest.position);
    await cancellationCompleted(guest, bookingId);
    const details = await guest.ask(BookingDetails, { bookingId });
    expect(details).toMatchObject({ status: 'cancelled', refunds: [{ amount: 260 }] });
    expect(await app.stores.processes.instance(holdExpiry.name, bookingId)).toMatchObject({ closed: true, timers: {} });
    now += HOLD_MS;
    for (const runner of app.hotel.processManagers) expect(await runner.fireTimers()).toBe(0);
    expect((await guest.ask(FreeRooms, { from, to })).map((r) => r.roomId)).toContain('202');
  });
});

it('refuses a hold time that is not a whole number of milliseconds above 0 before opening anything', async () => {
  const dir = dataDir();
  for (const holdMs of [0, -1, 2.5]) {
    await expect(startHotel({ dataDir: dir, holdMs })).rejects.toThrow(
      `holdMs must be a whole number of milliseconds above 0; got ${holdMs}`,
    );
  }
  expect(readdirSync(dir)).toEqual([]);
});

describe('a hold across a restart', () => {
  it('expires once, when the hotel restarted between the booking and the end of the hold', async () => {
    const dir = dataDir();
    let now = clock();
    const options = { dataDir: dir, clock: () => now, holdMs: HOLD_MS };
    const stay = {
      bookingId: 'restart-1',
      roomId: '103',
      guestId: 'rei',
      from: addDays(TODAY, 9),
      to: addDays(TODAY, 10),
    };

    const first = await startHotel(options);
    const guest = injectClient(first.server, await signIn(first, 'rei', 'guest'));
    await guest.send(BookRoom, stay);
    await handled(first, guest.position);
    expect(await first.stores.processes.instance(holdExpiry.name, stay.bookingId)).toMatchObject({
      timers: { expiry: now + HOLD_MS },
    });
    await first.close();

    now += HOLD_MS;
    const second = await startHotel(options);
    try {
      const manager = injectClient(second.server, await signIn(second, 'max', 'manager'));
      expect(await expiry(second, manager, stay.bookingId)).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect((await manager.ask(BookingDetails, { bookingId: stay.bookingId }))?.status).toBe('expired');
    } finally {
      await second.close();
    }

    now += 24 * HOLD_MS;
    const third = await startHotel(options);
    try {
      for (const runner of third.hotel.processManagers) expect(await runner.fireTimers()).toBe(0);
      const manager = injectClient(third.server, await signIn(third, 'max', 'manager'));
      const events = await third.stores.writes.readAll(START, 10_000);
      const expired = events.filter((e) => e.type === 'hotel.HoldExpired');
      expect(expired.map((e) => (e.data as { bookingId: string }).bookingId)).toEqual([stay.bookingId]);
      const mail = await manager.ask(GuestMail, { guestId: 'rei' }, { after: expired[0]!.position });
      expect(mail.items.map((m) => m.subject)).toEqual([`Room 103 from ${stay.from} to ${stay.to}: hold expired`]);
      expect(await third.stores.commands.get(releaseOf(stay.bookingId))).toMatchObject({ status: 'succeeded' });
      expect(await third.stores.commands.get(`${holdExpiry.name}:${stay.bookingId}:3:0`)).toBeUndefined();
    } finally {
      await third.close();
    }
  });
});
