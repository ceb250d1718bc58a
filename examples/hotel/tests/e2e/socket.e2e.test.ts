// The hotel over a real socket (127.0.0.1, a free port) on SQLite files, driven by @twofold/client as the
// browser drives it: every query carries the client's last position, so it sees the client's own writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, isRemoteError } from '@twofold/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { addDays } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking } from '../../src/messages/commands.js';
import { BookingDetails, FreeRooms, GuestBookings } from '../../src/messages/queries.js';
import { bearer, cancellationCompleted, signIn, startHotel, TODAY } from './setup.js';

const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-socket-'));
let app: App;
let baseUrl: string;
let token: string;
beforeAll(async () => {
  app = await startHotel({ dataDir });
  baseUrl = `${await app.server.listen({ port: 0, host: '127.0.0.1' })}/api`;
  token = await signIn(baseUrl, 'desk-manager', 'manager');
});
afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('books, reads its own booking at once, is refused the same nights, and cancels', async () => {
  const client = createClient({ baseUrl, headers: () => bearer(token) });
  const stay = { from: addDays(TODAY, 5), to: addDays(TODAY, 7) };
  const { position } = await client.execute(BookRoom, { bookingId: 's1', roomId: '202', guestId: 'sam', ...stay });
  expect(client.position).toBe(position);
  expect((await client.ask(GuestBookings, { guestId: 'sam' })).items.map((b) => b.bookingId)).toEqual(['s1']);
  expect((await client.ask(FreeRooms, stay)).map((r) => r.roomId)).not.toContain('202');

  const refused = await client
    .send(BookRoom, { bookingId: 's2', roomId: '202', guestId: 'tom', ...stay })
    .catch((error: unknown) => error);
  expect(isRemoteError(refused, 'DOMAIN_RULE') && [refused.status, refused.rule]).toEqual([422, 'ROOM_TAKEN']);

  await client.send(CancelBooking, { bookingId: 's1', reason: 'ill' });
  await cancellationCompleted(client, 's1');
  const details = await client.ask(BookingDetails, { bookingId: 's1' });
  expect(details).toMatchObject({ status: 'cancelled', refunds: [{ amount: 260 }] });
});

it('makes a client without the position wait only when asked to: Twofold-After over HTTP', async () => {
  const writer = createClient({ baseUrl, headers: () => bearer(token) });
  const { position } = await writer.execute(BookRoom, {
    bookingId: 's3',
    roomId: '102',
    guestId: 'una',
    from: addDays(TODAY, 9),
    to: addDays(TODAY, 10),
  });
  const reader = createClient({ baseUrl, headers: () => bearer(token) });
  const seen = await reader.ask(
    GuestBookings,
    { guestId: 'una' },
    { ...(position === undefined ? {} : { after: position }) },
  );
  expect(seen.items.map((b) => b.bookingId)).toEqual(['s3']);
  const response = await fetch(`${baseUrl}/queries/hotel.GuestBookings?guestId=una`, {
    headers: { 'twofold-after': String(position), ...bearer(token) },
  });
  expect(response.status).toBe(200);
});
