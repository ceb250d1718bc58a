// A NUL or a lone surrogate in a command or query once was accepted on SQLite and PostgreSQL alike, and then
// stopped every projection on PostgreSQL, whose jsonb cannot hold it. Now it is a 400 naming the field, nothing
// is committed, and the read side goes on.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import type { StoresConfig } from '../../src/app/stores.js';
import { addDays } from '../../src/domain/dates.js';
import { bearer, signIn, startHotel, TODAY } from './setup.js';

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

// Spelled as JSON escapes: the request body carries exactly what an attacker would send.
const HOSTILE = [
  { name: 'NUL', json: String.raw`a\u0000b`, message: /U\+0000/ },
  { name: 'a lone surrogate', json: String.raw`a\ud800b`, message: /lone surrogate/ },
];

const storages: { storage: string; config: () => StoresConfig }[] = [
  { storage: 'on SQLite', config: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'twofold-hotel-hostile-')) }) },
  { storage: 'on PostgreSQL', config: () => ({ postgres: { url: postgres.url, schema: 'hostile' } }) },
];

describe.each(storages)('hostile strings, the hotel $storage', ({ config }) => {
  let app: App;
  let dataDir: string | undefined;
  let auth: { authorization: string };
  beforeAll(async () => {
    const stores = config();
    dataDir = stores.dataDir;
    app = await startHotel(stores);
    auth = bearer(await signIn(app, 'mia', 'manager'));
  });
  afterAll(async () => {
    await app?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  const command = (type: string, json: string) =>
    app.server.inject({
      method: 'POST',
      url: `/api/commands/${type}`,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: json,
    });
  const bookRoom = (id: string, guestId: string, nights: [number, number]) =>
    command(
      'hotel.BookRoom',
      `{"bookingId":"${id}","roomId":"101","guestId":"${guestId}","from":"${addDays(TODAY, nights[0])}","to":"${addDays(TODAY, nights[1])}"}`,
    );

  it.each(HOSTILE)(
    'answers 400 naming the field for $name in guestId or reason, and commits nothing',
    async ({ json, message }) => {
      const head = await app.stores.writes.head();
      const booked = await bookRoom(`h-${json.length}`, json, [40, 41]);
      expect(booked.statusCode).toBe(400);
      expect(booked.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ path: ['guestId'], message: expect.stringMatching(message) }],
      });

      const cancelled = await command('hotel.CancelBooking', `{"bookingId":"any","reason":"${json}"}`);
      expect(cancelled.statusCode).toBe(400);
      expect(cancelled.json()).toMatchObject({
        issues: [{ path: ['reason'], message: expect.stringMatching(message) }],
      });

      const keyed = await command('hotel.CancelBooking', `{"bookingId":"any","reason":"", "${json}": 1}`);
      expect(keyed.statusCode).toBe(400);
      expect(keyed.json().issues[0].message).toMatch(/^property name/);

      expect(await app.stores.writes.head()).toBe(head);
    },
  );

  it('answers 400 naming the parameter for NUL in a query string', async () => {
    for (const [url, name] of [
      ['/api/queries/hotel.GuestBookings?guestId=a%00b', 'guestId'],
      ['/api/queries/hotel.BookingDetails?bookingId=%00', 'bookingId'],
      ['/api/queries/hotel.GuestMail?guestId=%00', 'guestId'],
    ] as const) {
      const response = await app.server.inject({ method: 'GET', url, headers: auth });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: [name] }] });
    }
  });

  it.each(HOSTILE)('answers 400 naming the parameter for $name in a query body', async ({ json, message }) => {
    const asked = await app.server.inject({
      method: 'POST',
      url: '/api/queries/hotel.GuestBookings',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: `{"guestId":"${json}"}`,
    });
    expect(asked.statusCode).toBe(400);
    expect(asked.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: ['guestId'], message: expect.stringMatching(message) }],
    });
  });

  it('keeps the read side running: a booking after the refusals is read at once', async () => {
    const booked = await bookRoom('h-after', 'ada', [42, 44]);
    expect(booked.statusCode).toBe(200);
    const position = booked.headers['twofold-position'] as string;
    const free = await app.server.inject({
      method: 'GET',
      url: `/api/queries/hotel.FreeRooms?from=${addDays(TODAY, 42)}&to=${addDays(TODAY, 43)}`,
      headers: { ...auth, 'twofold-after': position },
    });
    expect(free.statusCode).toBe(200);
    expect(free.json().result.map((room: { roomId: string }) => room.roomId)).not.toContain('101');
    const lag = await app.server.inject({ method: 'GET', url: '/api/queries/hotel.ProjectionLag', headers: auth });
    for (const projection of lag.json().result.projections) {
      expect(projection).toMatchObject({ state: 'running', error: null });
    }
  });
});
