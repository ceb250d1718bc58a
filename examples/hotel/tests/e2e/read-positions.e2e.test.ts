// A read-your-writes position the log has not reached was held for the whole consistency timeout and then
// answered 504; now it is a 400 at once, on every store. A query that reads no read model says so.

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

const storages: { storage: string; config: () => StoresConfig; exactHead: boolean }[] = [
  { storage: 'in memory', config: () => ({}), exactHead: true },
  {
    storage: 'on SQLite',
    config: () => ({ dataDir: mkdtempSync(join(tmpdir(), 'twofold-hotel-positions-')) }),
    exactHead: true,
  },
  // On PostgreSQL a committed position may still be hidden behind an older transaction: only positions above
  // what any transaction begun so far could write are refused.
  {
    storage: 'on PostgreSQL',
    config: () => ({ postgres: { url: postgres.url, schema: 'positions' } }),
    exactHead: false,
  },
];

describe.each(storages)('read positions, the hotel $storage', ({ config, exactHead }) => {
  let app: App;
  let dataDir: string | undefined;
  let auth: { authorization: string };
  beforeAll(async () => {
    const stores = config();
    dataDir = stores.dataDir;
    // A consistency timeout far longer than any test: a wait that is not cut short fails the test by timing out.
    app = await startHotel({ ...stores, consistencyTimeout: 120_000 });
    auth = bearer(await signIn(app, 'mia', 'manager'));
  });
  afterAll(async () => {
    await app?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  const freeRooms = (after: number | string) =>
    app.server.inject({
      method: 'GET',
      url: `/api/queries/hotel.FreeRooms?from=${addDays(TODAY, 50)}&to=${addDays(TODAY, 51)}`,
      headers: { ...auth, 'twofold-after': String(after) },
    });

  it('answers 400 POSITION_AHEAD_OF_LOG at once for a position the log has not reached', async () => {
    const response = await freeRooms(Number.MAX_SAFE_INTEGER);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'POSITION_AHEAD_OF_LOG', status: 400 });
    if (exactHead) {
      const next = (await app.stores.writes.head()) + 1;
      expect((await freeRooms(next)).json()).toMatchObject({ code: 'POSITION_AHEAD_OF_LOG' });
    }
  });

  it('still waits for, and answers, every position a write handed out', async () => {
    const booked = await app.server.inject({
      method: 'POST',
      url: '/api/commands/hotel.BookRoom',
      headers: auth,
      payload: { bookingId: 'p-1', roomId: '101', guestId: 'ada', from: addDays(TODAY, 50), to: addDays(TODAY, 52) },
    });
    expect(booked.statusCode).toBe(200);
    const response = await freeRooms(booked.headers['twofold-position'] as string);
    expect(response.statusCode).toBe(200);
    expect(response.json().result.map((room: { roomId: string }) => room.roomId)).not.toContain('101');
    expect(response.headers['twofold-consistency']).toBeUndefined();
  });

  it('says Twofold-Consistency: none when the query reads no read model, and ignores the position', async () => {
    const response = await app.server.inject({
      method: 'GET',
      url: '/api/queries/hotel.RecentEvents?limit=1',
      headers: { ...auth, 'twofold-after': String(Number.MAX_SAFE_INTEGER) },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['twofold-consistency']).toBe('none');
    const without = await app.server.inject({
      method: 'GET',
      url: '/api/queries/hotel.RecentEvents?limit=1',
      headers: auth,
    });
    expect(without.headers['twofold-consistency']).toBeUndefined();
  });
});
