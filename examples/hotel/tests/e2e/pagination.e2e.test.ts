// Every list query of the hotel answers a page at a time over HTTP: the limit is kept, a cursor goes on where the
// page before stopped, and a limit over the maximum or a made-up cursor is a 400 that says which parameter.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, isRemoteError } from '@twofold/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { addDays } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking, ConfirmBooking, RegisterRoom } from '../../src/messages/commands.js';
import { GuestBookings, GuestMail, ManagementAlerts, PAGE_SIZE, RecentEvents } from '../../src/messages/queries.js';
import { bearer, cancellationCompleted, injectClient, signIn, startHotel, TODAY } from './setup.js';

// Bookings of one guest, each confirmed then cancelled: as many bookings, twice as many mails, as many alerts.
const BOOKINGS = Number(process.env.HOTEL_PAGINATION_BOOKINGS ?? 12);
// The log: the room, and for each booking its booking, its confirmation, its cancellation and the cancellation's
// four steps (the refund asked for and recorded, the mail, the alert).
const EVENTS = 1 + 7 * BOOKINGS;

describe.each([
  { storage: 'in memory', dataDir: undefined },
  { storage: 'on SQLite', dataDir: () => mkdtempSync(join(tmpdir(), 'twofold-hotel-pages-')) },
])('the list queries of the hotel $storage', ({ dataDir }) => {
  let app: App;
  let client: Client;
  let token: string;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = dataDir?.();
    app = await startHotel({ dataDir: dir, seed: false });
    token = await signIn(app, 'mo', 'manager');
    client = injectClient(app.server, token);
    await client.send(RegisterRoom, { roomId: '1', number: '1', type: 'single', pricePerNight: 50 });
    for (let n = 0; n < BOOKINGS; n++) {
      // Arrivals out of order, so that the order of the pages is not the order of writing.
      const from = addDays(TODAY, ((n * 7) % BOOKINGS) + 1);
      await client.send(BookRoom, { bookingId: `p${n}`, roomId: '1', guestId: 'pia', from, to: addDays(from, 1) });
      await client.send(ConfirmBooking, { bookingId: `p${n}` });
      // The confirmation mail (a subscriber) and the cancellation's mail (a step of its process) are written by two
      // writers: each is waited for, so that the mails are written in the order of the events they are about.
      await client.ask(GuestMail, { guestId: 'pia', limit: 1 });
      await client.send(CancelBooking, { bookingId: `p${n}`, reason: `${n}` });
      await cancellationCompleted(client, `p${n}`);
    }
  });
  afterAll(async () => {
    await app?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Follows `next` from the first page to the last, checking each page's size. */
  async function everyPage<T>(ask: (cursor: string | undefined) => Promise<{ items: T[]; next: string | null }>) {
    const pages: T[][] = [];
    let cursor: string | undefined;
    do {
      const page = await ask(cursor);
      pages.push(page.items);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined && pages.length <= 10 * BOOKINGS);
    return pages;
  }

  it("pages through a guest's bookings by arrival, without a gap or a repeat", async () => {
    const pages = await everyPage((cursor) => client.ask(GuestBookings, { guestId: 'pia', limit: 5, cursor }));
    expect(pages.slice(0, -1).every((page) => page.length === 5)).toBe(true);
    const arrivals = pages.flat().map((b) => b.from);
    expect(arrivals).toHaveLength(BOOKINGS);
    expect(arrivals).toEqual([...arrivals].sort());
    expect(new Set(pages.flat().map((b) => b.bookingId)).size).toBe(BOOKINGS);
  });

  it("pages through a guest's mail and the alerts, newest first", async () => {
    const mails = (await everyPage((cursor) => client.ask(GuestMail, { guestId: 'pia', limit: 5, cursor }))).flat();
    expect(mails).toHaveLength(2 * BOOKINGS);
    expect(new Set(mails.map((m) => m.mailId)).size).toBe(2 * BOOKINGS);
    expect(mails[0]?.subject).toMatch(/cancelled$/);
    expect(mails.map((m) => m.at)).toEqual(mails.map((m) => m.at).sort((a, b) => b - a));

    const alerts = await everyPage((cursor) => client.ask(ManagementAlerts, { limit: 4, cursor }));
    expect(alerts.flat().map((a) => a.message.match(/reason: (\d+)/)?.[1])).toEqual(
      Array.from({ length: BOOKINGS }, (_, n) => String(BOOKINGS - 1 - n)),
    );
  });

  it('pages back through the event log from its head', async () => {
    const events = (await everyPage((cursor) => client.ask(RecentEvents, { limit: 7, cursor }))).flat();
    const positions = events.map((e) => e.position);
    expect(positions).toEqual(positions.toSorted((a, b) => b - a));
    expect(positions.at(-1)).toBe(1);
    expect(positions).toHaveLength(EVENTS);
  });

  it(`answers ${PAGE_SIZE.default} items unless told, and refuses more than ${PAGE_SIZE.max} with a 400`, async () => {
    expect((await client.ask(RecentEvents, {})).items).toHaveLength(Math.min(PAGE_SIZE.default, EVENTS));
    expect((await client.ask(RecentEvents, { limit: PAGE_SIZE.max })).items.length).toBeLessThanOrEqual(PAGE_SIZE.max);
    for (const query of [
      `hotel.RecentEvents?limit=${PAGE_SIZE.max + 1}`,
      `hotel.ManagementAlerts?limit=${PAGE_SIZE.max + 1}`,
      `hotel.GuestMail?guestId=pia&limit=${PAGE_SIZE.max + 1}`,
      `hotel.GuestBookings?guestId=pia&limit=${PAGE_SIZE.max + 1}`,
    ]) {
      const response = await app.server.inject({ url: `/api/queries/${query}`, headers: bearer(token) });
      expect(response.statusCode, query).toBe(400);
      expect(response.json().issues, query).toEqual([expect.objectContaining({ path: ['limit'] })]);
    }
  });

  it('refuses a cursor it did not make with a 400 that names it', async () => {
    for (const ask of [
      () => client.ask(RecentEvents, { cursor: 'x' }),
      () => client.ask(ManagementAlerts, { cursor: '-1' }),
      () => client.ask(GuestMail, { guestId: 'pia', cursor: '1e3' }),
      () => client.ask(GuestBookings, { guestId: 'pia', cursor: 'p1' }),
      // Digits past the safe integers were a 500: the effect stores cannot read such a cursor.
      () => client.ask(ManagementAlerts, { cursor: '9999999999999999' }),
      () => client.ask(GuestMail, { guestId: 'pia', cursor: '9999999999999999' }),
      () => client.ask(RecentEvents, { cursor: '9999999999999999' }),
    ]) {
      const error = await ask().catch((e: unknown) => e);
      expect(isRemoteError(error, 'VALIDATION_FAILED') && error.issues.map((i) => i.path)).toEqual([['cursor']]);
    }
    // The largest safe integer is still a position: everything is older than it.
    const latest = await client.ask(RecentEvents, { limit: 1 });
    expect(await client.ask(RecentEvents, { limit: 1, cursor: String(Number.MAX_SAFE_INTEGER) })).toEqual(latest);
    expect((await client.ask(ManagementAlerts, { cursor: String(Number.MAX_SAFE_INTEGER) })).items).not.toEqual([]);
  });

  it('documents the limit and the cursor of every list query in the OpenAPI document', async () => {
    const doc = (await app.server.inject({ url: '/api/openapi.json' })).json() as {
      paths: Record<string, { get: { parameters: { name?: string; schema?: Record<string, unknown> }[] } }>;
    };
    for (const type of [GuestBookings.type, GuestMail.type, ManagementAlerts.type, RecentEvents.type]) {
      const path = Object.keys(doc.paths).find((p) => p.endsWith(`/${type}`));
      const parameters = doc.paths[path!]!.get.parameters;
      expect(parameters.find((p) => p.name === 'limit')?.schema, type).toMatchObject({
        default: PAGE_SIZE.default,
        maximum: PAGE_SIZE.max,
        description: expect.stringContaining(`at most ${PAGE_SIZE.max}`),
      });
      expect(parameters.find((p) => p.name === 'cursor')?.schema, type).toMatchObject({
        description: expect.stringContaining('`next` of the page before'),
      });
    }
  });
});
