// The permission matrix: every command and query of the hotel, sent over HTTP by a guest, the front desk, a
// manager and an anonymous caller. An allowed call does what it does; a refused one is a problem+json 403 (401
// for the anonymous caller) and commits nothing. On SQLite, so that a refusal inside a transaction would show.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { AlertManagement, MailGuest, RecordRefund, RequestRefund } from '../../src/cancellation/messages.js';
import { CancellationProgress } from '../../src/cancellation/queries.js';
import { addDays } from '../../src/domain/dates.js';
import { DEFAULT_HOLD_MS } from '../../src/holds/hold-time.js';
import {
  BookRoom,
  CancelBooking,
  CheckIn,
  CheckOut,
  ConfirmBooking,
  RegisterRoom,
  ReleaseHold,
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
import { ReplayDeadLetter, ServiceDeadLetters } from '../../src/services/dead-letters.js';
import { as, bearer, clock, signIn, startHotel, TODAY } from './setup.js';

type Who = 'guest' | 'frontdesk' | 'manager' | 'anonymous';
const WHO: readonly Who[] = ['guest', 'frontdesk', 'manager', 'anonymous'];
/** The guest of the matrix, and another guest whose bookings are not theirs. */
const GUEST = 'ada';
const OTHER = 'grace';

const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-permissions-'));
let app: App;
const tokens = new Map<Who, string>();
// The hotel's clock, moved on only where a hold's time has to be up (still the same day).
let now = clock();
beforeAll(async () => {
  app = await startHotel({ dataDir, clock: () => now });
  // Holds whose time is up are released here by the matrix's own calls only: a release from the holds' timers
  // would commit during other calls, whose refusals must commit nothing.
  await Promise.all(app.hotel.processManagers.map((runner) => runner.stop()));
  tokens.set('guest', await signIn(app, GUEST, 'guest'));
  tokens.set('frontdesk', await signIn(app, 'fred', 'frontdesk'));
  tokens.set('manager', await signIn(app, 'mia', 'manager'));
});
afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// Each case that changes something gets a room and a booking of its own, made in-process by a manager, so that
// one allowed call cannot change what the next one finds.
const manager = as('matrix', 'manager');
let made = 0;
async function room(): Promise<string> {
  const roomId = `matrix-${++made}`;
  await app.hotel.mediator.send(RegisterRoom, { roomId, number: roomId, type: 'single', pricePerNight: 50 }, manager);
  return roomId;
}
async function booking(
  guestId: string,
  then: 'held' | 'confirmed' | 'checked-in' = 'confirmed',
): Promise<{ bookingId: string }> {
  const roomId = await room();
  const bookingId = `${roomId}-booking`;
  await app.hotel.mediator.send(BookRoom, { bookingId, roomId, guestId, from: TODAY, to: addDays(TODAY, 2) }, manager);
  if (then !== 'held') await app.hotel.mediator.send(ConfirmBooking, { bookingId }, manager);
  if (then === 'checked-in') await app.hotel.mediator.send(CheckIn, { bookingId }, manager);
  return { bookingId };
}

async function cancelledStay(guestId: string) {
  const { bookingId } = await booking(guestId);
  return { bookingId, guestId, roomId: `matrix-${made}`, from: TODAY, to: addDays(TODAY, 2), refund: 1, at: 0 };
}

/**
 * The last position of the log but for the steps of cancellations, which the cancellation process writes in the
 * background after each allowed cancel: what a refused call must not move.
 */
async function head(): Promise<number> {
  const events = await app.stores.writes.readLatest(100);
  return events.find((event) => !event.streamId.startsWith('cancellation-'))?.position ?? 0;
}

type Outcome = 200 | 401 | 403 | 404;
interface Case {
  readonly name: string;
  readonly kind: 'command' | 'query';
  readonly type: string;
  readonly payload: () => Promise<Record<string, unknown>>;
  readonly expect: Readonly<Record<Who, Outcome>>;
}
const command = (type: string, name: string, payload: Case['payload'], expect: Case['expect']): Case => ({
  name: `${type} ${name}`,
  kind: 'command',
  type,
  payload,
  expect,
});
const query = (type: string, name: string, payload: Case['payload'], expect: Case['expect']): Case => ({
  name: `${type} ${name}`,
  kind: 'query',
  type,
  payload,
  expect,
});
const only = (allowed: readonly Who[], refused: Outcome = 403): Case['expect'] => ({
  guest: allowed.includes('guest') ? 200 : refused,
  frontdesk: allowed.includes('frontdesk') ? 200 : refused,
  manager: allowed.includes('manager') ? 200 : refused,
  anonymous: allowed.includes('anonymous') ? 200 : 401,
});
const stay = async (guestId: string) => ({
  bookingId: `${await room()}-new`,
  roomId: `matrix-${made}`,
  guestId,
  from: addDays(TODAY, 1),
  to: addDays(TODAY, 2),
});

const CASES: readonly Case[] = [
  command(
    RegisterRoom.type,
    'a room',
    async () => ({ roomId: `matrix-${++made}`, number: '9', type: 'suite', pricePerNight: 0.01 }),
    only(['manager']),
  ),
  command(BookRoom.type, 'for the guest themselves', () => stay(GUEST), only(['guest', 'manager'])),
  command(BookRoom.type, 'for another guest', () => stay(OTHER), only(['manager'])),
  command(
    CancelBooking.type,
    "of the guest's own booking",
    async () => ({ ...(await booking(GUEST)), reason: 'matrix' }),
    only(['guest', 'frontdesk', 'manager']),
  ),
  command(
    CancelBooking.type,
    "of another guest's booking",
    async () => ({ ...(await booking(OTHER)), reason: 'matrix' }),
    only(['frontdesk', 'manager']),
  ),
  command(CancelBooking.type, 'of no booking at all', async () => ({ bookingId: 'matrix-nothing', reason: '' }), {
    guest: 403,
    frontdesk: 404,
    manager: 404,
    anonymous: 401,
  }),
  command(
    ConfirmBooking.type,
    "of the guest's own held booking",
    () => booking(GUEST, 'held'),
    only(['guest', 'frontdesk', 'manager']),
  ),
  command(
    ConfirmBooking.type,
    "of another guest's held booking",
    () => booking(OTHER, 'held'),
    only(['frontdesk', 'manager']),
  ),
  command(
    ReleaseHold.type,
    "of the guest's own booking, its hold's time up",
    async () => {
      const held = await booking(GUEST, 'held');
      now += DEFAULT_HOLD_MS;
      return held;
    },
    only(['manager']),
  ),
  command(CheckIn.type, "of the guest's own booking", () => booking(GUEST), only(['frontdesk', 'manager'])),
  command(
    CheckOut.type,
    "of the guest's own booking",
    () => booking(GUEST, 'checked-in'),
    only(['frontdesk', 'manager']),
  ),
  // The steps of a cancellation are the hotel's own: no user may send them.
  command(
    RequestRefund.type,
    'for a booking',
    async () => ({ ...(await booking(GUEST)), guestId: GUEST, amount: 1 }),
    only([]),
  ),
  command(MailGuest.type, 'about a booking', async () => ({ ...(await cancelledStay(GUEST)) }), only([])),
  command(
    AlertManagement.type,
    'about a booking',
    async () => ({ ...(await cancelledStay(GUEST)), reason: 'matrix' }),
    only([]),
  ),
  command(
    RecordRefund.type,
    'of a booking',
    async () => ({ ...(await booking(GUEST)), guestId: GUEST, refundId: 'matrix-refund', amount: 1, at: 0 }),
    only([]),
  ),
  query(
    FreeRooms.type,
    'for two nights',
    async () => ({ from: addDays(TODAY, 1), to: addDays(TODAY, 3) }),
    only(['guest', 'frontdesk', 'manager', 'anonymous']),
  ),
  query(GuestBookings.type, 'of the guest', async () => ({ guestId: GUEST }), only(['guest', 'manager'])),
  query(GuestBookings.type, 'of another guest', async () => ({ guestId: OTHER }), only(['manager'])),
  query(GuestMail.type, 'of the guest', async () => ({ guestId: GUEST }), only(['guest', 'manager'])),
  query(GuestMail.type, 'of another guest', async () => ({ guestId: OTHER }), only(['manager'])),
  query(
    BookingDetails.type,
    "of the guest's own booking",
    () => booking(GUEST),
    only(['guest', 'frontdesk', 'manager']),
  ),
  query(BookingDetails.type, "of another guest's booking", () => booking(OTHER), only(['frontdesk', 'manager'])),
  query(
    BookingDetails.type,
    'of no booking at all',
    async () => ({ bookingId: 'matrix-nothing' }),
    only(['frontdesk', 'manager']),
  ),
  query(
    CancellationProgress.type,
    "of the guest's own booking",
    () => booking(GUEST),
    only(['guest', 'frontdesk', 'manager']),
  ),
  query(CancellationProgress.type, "of another guest's booking", () => booking(OTHER), only(['frontdesk', 'manager'])),
  query(Occupancy.type, 'of tonight', async () => ({ date: TODAY }), only(['frontdesk', 'manager'])),
  query(ManagementAlerts.type, '', async () => ({}), only(['manager'])),
  query(RecentEvents.type, '', async () => ({ limit: 5 }), only(['manager'])),
  query(ProjectionLag.type, '', async () => ({}), only(['manager'])),
  // Replaying a parked event is the manager's; the replays themselves are in tests/e2e/dead-letters.e2e.test.ts.
  command(ReplayDeadLetter.type, 'of no dead letter', async () => ({ id: 'billing:matrix-nothing' }), {
    guest: 403,
    frontdesk: 403,
    manager: 404,
    anonymous: 401,
  }),
  query(ServiceDeadLetters.type, '', async () => ({}), only(['manager'])),
];

async function call(kind: Case['kind'], type: string, payload: Record<string, unknown>, who: Who) {
  const token = tokens.get(who);
  const headers = token === undefined ? {} : bearer(token);
  if (kind === 'command') {
    return app.server.inject({ method: 'POST', url: `/api/commands/${type}`, payload, headers });
  }
  const search = new URLSearchParams(Object.entries(payload).map(([k, v]): [string, string] => [k, String(v)]));
  return app.server.inject({ method: 'GET', url: `/api/queries/${type}?${search}`, headers });
}

it('covers every command and query the hotel has', () => {
  const { commands, queries } = app.hotel.mediator.definitions();
  const covered = new Set(CASES.map((c) => c.type));
  expect([...commands, ...queries].map((d) => d.type).filter((type) => !covered.has(type))).toEqual([]);
});

describe.each(CASES)('$name', ({ kind, type, payload, expect: outcomes }) => {
  it.each(WHO)('as %s', async (who) => {
    const sent = await payload();
    const before = await head();
    const response = await call(kind, type, sent, who);
    const expected = outcomes[who];
    expect(response.statusCode, response.body).toBe(expected);
    if (expected === 401 || expected === 403) {
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: expected,
        code: expected === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
      });
      expect(await head(), 'a refused call committed something').toBe(before);
    } else if (expected === 200 && kind === 'command') {
      expect(await head()).toBeGreaterThan(before);
    }
  });
});
