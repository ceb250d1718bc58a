// The hotel's HTTP API end to end, in-process (fastify.inject), driven by the typed client as the web UI does.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, isRemoteError } from '@twofold/client';
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '@twofold/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../src/app/seed.js';
import type { App } from '../../src/app/server.js';
import type { StoresConfig } from '../../src/app/stores.js';
import { addDays } from '../../src/domain/dates.js';
import {
  BookRoom,
  CancelBooking,
  CheckIn,
  CheckOut,
  ConfirmBooking,
  RegisterRoom,
} from '../../src/messages/commands.js';
import {
  BookingDetails,
  FreeRooms,
  GuestBookings,
  GuestMail,
  ManagementAlerts,
  Occupancy,
  ProjectionLag,
  RecentEvents,
} from '../../src/messages/queries.js';
import { as, cancellationCompleted, clock, injectClient, signIn, startHotel, TODAY } from './setup.js';

// Real servers, started for this file on free ports: PostgreSQL for everything, or Redis for the bookings view.
let postgres: PostgresServer;
let redis: RedisServer;
beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

const storages: { storage: string; config: () => StoresConfig; where: RegExp }[] = [
  { storage: 'in memory', config: () => ({}), where: /^in memory$/ },
  {
    storage: 'on SQLite',
    config: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'twofold-hotel-')) }),
    where: /^SQLite, writes in .*hotel-writes\.db, reads in .*hotel-reads\.db$/,
  },
  {
    storage: 'on PostgreSQL',
    config: () => ({ postgres: { url: postgres.url, schema: 'hotel' } }),
    where: /^PostgreSQL, schema hotel$/,
  },
  {
    storage: 'on SQLite with its bookings view in Redis',
    config: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'twofold-hotel-')), redisUrl: redis.url }),
    where: /^SQLite, .*; the bookings read model in Redis at redis:\/\/127\.0\.0\.1:\d+$/,
  },
];

describe.each(storages)('the hotel $storage', ({ config, where }) => {
  let app: App;
  let client: Client;
  let dataDir: string | undefined;
  beforeAll(async () => {
    const stores = config();
    dataDir = stores.dataDir;
    app = await startHotel(stores);
    // A manager may do everything: these tests are about the hotel's behaviour, the permissions have their own.
    client = injectClient(app.server, await signIn(app, 'test-manager', 'manager'));
  });
  afterAll(() => {
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await app.close();
  });

  const day = (n: number) => addDays(TODAY, n);
  let next = 0;
  const bookingId = () => `t-${++next}`;

  async function refusal(promise: Promise<unknown>) {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isRemoteError(error)) throw new Error(`expected a RemoteError, got ${String(error)}`);
    return error;
  }

  it('keeps its data where it says', () => {
    expect(app.stores.description).toMatch(where);
  });

  describe('booking', () => {
    it("shows a booking at once under the guest's bookings, held until confirmed: the client reads its own writes", async () => {
      const id = bookingId();
      const result = await client.send(BookRoom, {
        bookingId: id,
        roomId: '102',
        guestId: 'eve',
        from: day(20),
        to: day(23),
      });
      expect(result).toEqual({ bookingId: id, total: 240 });
      const mine = await client.ask(GuestBookings, { guestId: 'eve' });
      expect(mine.items.map((b) => [b.bookingId, b.roomNumber, b.nights, b.total, b.status, b.heldUntil])).toEqual([
        [id, '102', 3, 240, 'held', clock() + 15 * 60_000],
      ]);
      const free = await client.ask(FreeRooms, { from: day(21), to: day(22) });
      expect(free.map((r) => r.roomId)).not.toContain('102');
      expect((await client.ask(BookingDetails, { bookingId: id }))?.mails).toEqual([]);
      await client.send(ConfirmBooking, { bookingId: id });
      const details = await client.ask(BookingDetails, { bookingId: id });
      expect([details?.status, details?.heldUntil]).toEqual(['booked', null]);
      expect(details?.mails.map((m) => m.subject)).toEqual([`Room 102 from ${day(20)} to ${day(23)}: confirmed`]);
    });

    it('refuses a room for nights already booked with 422 ROOM_TAKEN, and takes the day of departure as free', async () => {
      await client.send(BookRoom, {
        bookingId: bookingId(),
        roomId: '202',
        guestId: 'eve',
        from: day(30),
        to: day(33),
      });
      const taken = await refusal(
        client.send(BookRoom, {
          bookingId: bookingId(),
          roomId: '202',
          guestId: 'mallory',
          from: day(32),
          to: day(34),
        }),
      );
      expect([taken.status, taken.code, taken.rule, taken.details]).toEqual([
        422,
        'DOMAIN_RULE',
        'ROOM_TAKEN',
        { roomId: '202', from: day(32), to: day(33) },
      ]);
      await client.send(BookRoom, {
        bookingId: bookingId(),
        roomId: '202',
        guestId: 'mallory',
        from: day(33),
        to: day(34),
      });
    });

    it('lets exactly one of many guests racing for the same night win', async () => {
      const attempts = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          app.hotel.mediator.send(
            BookRoom,
            { bookingId: `race-${i}`, roomId: '101', guestId: `racer-${i}`, from: day(40), to: day(41 + (i % 3)) },
            as(`racer-${i}`, 'guest'),
          ),
        ),
      );
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === 'rejected')
          expect(attempt.reason).toMatchObject({ code: 'DOMAIN_RULE', rule: 'ROOM_TAKEN' });
      }
    });

    it('answers 400 with the path of each invalid field, and 404 for an unknown room or booking', async () => {
      const invalid = await refusal(
        client.send(BookRoom, { bookingId: bookingId(), roomId: '101', guestId: 'eve', from: day(5), to: day(5) }),
      );
      expect([invalid.status, invalid.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(invalid.issues.map((i) => i.path)).toEqual([['to']]);
      const tooLong = await refusal(client.ask(FreeRooms, { from: day(1), to: day(40) }));
      expect(tooLong.issues.map((i) => i.message)).toEqual(['at most 30 nights']);
      const badDate = await refusal(client.ask(Occupancy, { date: '2030-02-30' }));
      expect(badDate.status).toBe(400);

      const noRoom = await refusal(
        client.send(BookRoom, { bookingId: bookingId(), roomId: '999', guestId: 'eve', from: day(5), to: day(6) }),
      );
      expect([noRoom.status, noRoom.code]).toEqual([404, 'NOT_FOUND']);
      const noBooking = await refusal(client.send(CancelBooking, { bookingId: 'nope', reason: '' }));
      expect([noBooking.status, noBooking.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('refuses nights in the past, a booking id twice (in any room), and a room twice', async () => {
      const past = await refusal(
        client.send(BookRoom, { bookingId: bookingId(), roomId: '101', guestId: 'eve', from: day(-1), to: day(1) }),
      );
      expect(past.rule).toBe('IN_THE_PAST');
      const id = bookingId();
      await client.send(BookRoom, { bookingId: id, roomId: '103', guestId: 'eve', from: day(50), to: day(51) });
      const twice = await refusal(
        client.send(BookRoom, { bookingId: id, roomId: '201', guestId: 'eve', from: day(50), to: day(51) }),
      );
      expect(twice.rule).toBe('BOOKING_EXISTS');
      expect((await client.ask(FreeRooms, { from: day(50), to: day(51) })).map((r) => r.roomId)).toContain('201');
      const room = await refusal(
        client.send(RegisterRoom, { roomId: '101', number: '101', type: 'single', pricePerNight: 1 }),
      );
      expect(room.rule).toBe('ROOM_EXISTS');
    });
  });

  describe('cancelling', () => {
    it('frees the nights, refunds the guest, mails them and alerts management', async () => {
      const id = bookingId();
      await client.send(BookRoom, { bookingId: id, roomId: '301', guestId: 'frank', from: day(10), to: day(12) });
      await client.send(ConfirmBooking, { bookingId: id });
      await client.send(CancelBooking, { bookingId: id, reason: 'flight cancelled' });
      expect(await cancellationCompleted(client, id)).toMatchObject({ amount: 520, refund: 'done', completed: true });

      const details = await client.ask(BookingDetails, { bookingId: id });
      expect(details).toMatchObject({ status: 'cancelled', reason: 'flight cancelled', total: 520 });
      expect(details?.refunds.map((r) => r.amount)).toEqual([520]);
      expect(details?.mails.map((m) => m.subject)).toEqual([
        `Room 301 from ${day(10)} to ${day(12)}: cancelled`,
        `Room 301 from ${day(10)} to ${day(12)}: confirmed`,
      ]);
      expect((await client.ask(GuestMail, { guestId: 'frank' })).items[0]?.body).toContain('We refund €520.00');
      const alerts = (await client.ask(ManagementAlerts, {})).items;
      expect(alerts[0]?.message).toBe(
        `frank cancelled room 301 from ${day(10)} to ${day(12)} (reason: flight cancelled); refund €520.00`,
      );
      expect((await client.ask(FreeRooms, { from: day(10), to: day(12) })).map((r) => r.roomId)).toContain('301');

      const again = await refusal(client.send(CancelBooking, { bookingId: id, reason: '' }));
      expect([again.status, again.rule]).toEqual([422, 'NOT_CANCELLABLE']);
    });

    it('keeps the first night when cancelled on the day of arrival', async () => {
      const id = bookingId();
      await client.send(BookRoom, { bookingId: id, roomId: '102', guestId: 'gina', from: TODAY, to: day(2) });
      await client.send(CancelBooking, { bookingId: id, reason: '' });
      await cancellationCompleted(client, id);
      expect((await client.ask(BookingDetails, { bookingId: id }))?.refunds.map((r) => r.amount)).toEqual([80]);
    });
  });

  describe('the front desk', () => {
    it('checks guests in and out, and shows who sleeps where', async () => {
      const id = bookingId();
      await client.send(BookRoom, { bookingId: id, roomId: '202', guestId: 'hal', from: TODAY, to: day(2) });
      expect((await refusal(client.send(CheckIn, { bookingId: id }))).rule).toBe('NOT_CHECKABLE');
      await client.send(ConfirmBooking, { bookingId: id });
      expect((await refusal(client.send(CheckOut, { bookingId: id }))).rule).toBe('NOT_CHECKED_IN');
      await client.send(CheckIn, { bookingId: id });
      const board = await client.ask(Occupancy, { date: TODAY });
      expect(board.byRoom.find((r) => r.roomId === '202')).toMatchObject({ status: 'checked-in', guestId: 'hal' });
      expect(board.byRoom.find((r) => r.roomId === '301')).toMatchObject({ status: 'checked-in', guestId: 'grace' });
      expect(board.rooms).toBe(6);
      expect((await refusal(client.send(CancelBooking, { bookingId: id, reason: '' }))).rule).toBe('NOT_CANCELLABLE');
      await client.send(CheckOut, { bookingId: id });
      const after = await client.ask(Occupancy, { date: TODAY });
      expect(after.byRoom.find((r) => r.roomId === '202')?.status).toBe('free');
      expect((await client.ask(BookingDetails, { bookingId: id }))?.status).toBe('checked-out');
    });

    it('refuses to check in before the day of arrival', async () => {
      const id = bookingId();
      await client.send(BookRoom, { bookingId: id, roomId: '103', guestId: 'ivy', from: day(3), to: day(4) });
      await client.send(ConfirmBooking, { bookingId: id });
      expect((await refusal(client.send(CheckIn, { bookingId: id }))).rule).toBe('TOO_EARLY');
    });
  });

  describe('operations', () => {
    it('lists the latest events, newest first, and every projection and subscriber with its lag', async () => {
      const id = bookingId();
      await client.send(BookRoom, { bookingId: id, roomId: '101', guestId: 'jo', from: day(60), to: day(61) });
      const events = (await client.ask(RecentEvents, { limit: 3 })).items;
      expect(events).toHaveLength(3);
      expect(events[0]).toMatchObject({ type: 'hotel.RoomBooked', streamId: 'calendar-101', data: { bookingId: id } });
      expect(events[0]!.position).toBeGreaterThan(events[1]!.position);

      const lag = await client.ask(ProjectionLag, {});
      expect(lag.projections.map((p) => p.name)).toEqual(['availability', 'bookings', 'cancellations']);
      expect(lag.subscribers.map((s) => s.name)).toEqual(['mail.guests']);
      for (const p of lag.projections) expect(p).toMatchObject({ error: null, head: events[0]!.position });
    });

    it('seeds once: seeding again writes nothing', async () => {
      const head = await app.stores.writes.head();
      await seed(app.hotel.mediator, clock());
      expect(await app.stores.writes.head()).toBe(head);
    });

    it('publishes OpenAPI for every command and query', async () => {
      const response = await app.server.inject('/api/openapi.json');
      const paths = Object.keys(response.json().paths);
      for (const type of ['hotel.BookRoom', 'hotel.CancelBooking', 'hotel.FreeRooms', 'hotel.Occupancy']) {
        expect(paths.some((path) => path.endsWith(`/${type}`))).toBe(true);
      }
    });
  });
});
