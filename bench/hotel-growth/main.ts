// The hotel as its data grows: one room booked night after night on SQLite, the way a year of guests uses it.
// Each day one guest books that night, then cancels (one in three), stays and leaves (one in three), or never
// comes. Printed: BookRoom latency p50/p99 over the first and the last window of bookings, the size of the room
// calendar's snapshot, and the time and size of the first page of ManagementAlerts.
// Sizes: HOTEL_GROWTH_BOOKINGS (default 3000), HOTEL_GROWTH_WINDOW (bookings per measured window, default 200).
// HOTEL_GROWTH_APP points at another copy of examples/hotel/src/app (to measure an older version alike).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Mediator } from '@twofold/core';
import Database from 'better-sqlite3';

const BOOKINGS = Number(process.env.HOTEL_GROWTH_BOOKINGS ?? 3000);
const WINDOW = Math.min(BOOKINGS, Number(process.env.HOTEL_GROWTH_WINDOW ?? 200));
const APP = resolve(process.env.HOTEL_GROWTH_APP ?? join(import.meta.dirname, '../../examples/hotel/src/app'));

const { createStores } = (await import(
  pathToFileURL(join(APP, 'stores.ts')).href
)) as typeof import('../../examples/hotel/src/app/stores.js');
const { createHotel } = (await import(
  pathToFileURL(join(APP, 'hotel.ts')).href
)) as typeof import('../../examples/hotel/src/app/hotel.js');

const commands = (await import(
  pathToFileURL(join(APP, '../messages/commands.ts')).href
)) as typeof import('../../examples/hotel/src/messages/commands.js');
const { ManagementAlerts } = (await import(
  pathToFileURL(join(APP, '../messages/queries.ts')).href
)) as typeof import('../../examples/hotel/src/messages/queries.js');

const DAY = 86_400_000;
const START = Date.parse('2031-01-01T10:00:00Z');
let now = START;
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const manager = { principal: { id: 'bench', roles: ['manager'] } } as const;

const dataDir = mkdtempSync(join(tmpdir(), 'hotel-growth-'));
const stores = await createStores({ dataDir });
const hotel = await createHotel(stores, { clock: () => now, consistencyTimeout: 60_000 });
hotel.start();
const m: Mediator = hotel.mediator;
// The command's position, so that the last query reads everything written before it.
type Command = 'RegisterRoom' | 'BookRoom' | 'CancelBooking' | 'CheckIn' | 'CheckOut';
const send = async (type: Command, data: object) =>
  Number((await m.execute(commands[type], data as never, manager)).position ?? 0);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const summary = (ms: readonly number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`;
};

try {
  await send('RegisterRoom', { roomId: 'r1', number: '1', type: 'single', pricePerNight: 80 });
  const latencies: number[] = [];
  let position = 0;
  for (let i = 0; i < BOOKINGS; i++) {
    now = START + i * DAY;
    const bookingId = `g${i}`;
    const from = date(now);
    const began = performance.now();
    position = await send('BookRoom', {
      bookingId,
      roomId: 'r1',
      guestId: `guest${i % 50}`,
      from,
      to: date(now + DAY),
    });
    latencies.push(performance.now() - began);
    if (i % 3 === 0) position = await send('CancelBooking', { bookingId, reason: 'plans changed' });
    if (i % 3 === 1) {
      await send('CheckIn', { bookingId });
      position = await send('CheckOut', { bookingId });
    }
  }
  const asked = performance.now();
  const alerts: unknown = await m.ask(ManagementAlerts, {} as never, { ...manager, after: position as never });
  const askedMs = performance.now() - asked;

  const writes = new Database(join(dataDir, 'hotel-writes.db'), { readonly: true });
  const snapshot = writes
    .prepare<[], { bytes: number; version: number }>(
      "SELECT length(state) AS bytes, version FROM twofold_snapshots WHERE stream_id = 'calendar-r1'",
    )
    .get();
  writes.close();

  console.log(`hotel growth on SQLite: ${BOOKINGS} bookings of one room (${APP})`);
  console.log(`  BookRoom, first ${WINDOW}: ${summary(latencies.slice(0, WINDOW))}`);
  console.log(`  BookRoom, last ${WINDOW}:  ${summary(latencies.slice(-WINDOW))}`);
  console.log(`  calendar snapshot: ${snapshot?.bytes ?? 0} bytes at version ${snapshot?.version ?? 0}`);
  const answer = JSON.stringify(alerts);
  const count = Array.isArray(alerts) ? alerts.length : (alerts as { items: unknown[] }).items.length;
  console.log(`  ManagementAlerts: ${count} alerts, ${answer.length} bytes, ${askedMs.toFixed(1)} ms`);
} finally {
  await hotel.stop();
  await stores.close();
  rmSync(dataDir, { recursive: true, force: true });
}
