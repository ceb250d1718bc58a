// Property: whatever a client sends the hotel (random or malformed payloads, headers, query strings), it never
// answers 5xx, and an answer of 4xx leaves the write side exactly as it was. On SQLite, so that refused commits
// are rolled back by a real transaction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { addDays } from '../../src/domain/dates.js';
import type { Role } from '../../src/identity/roles.js';
import { bearer, signIn, startHotel, TODAY } from './setup.js';

const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-fuzz-'));
let app: App;
const tokens = new Map<Role, string>();
beforeAll(async () => {
  app = await startHotel({ dataDir, consistencyTimeout: 100, bodyLimit: 4096 });
  // The guest is 'fuzz', the guest of the plausible bookings below.
  for (const [user, role] of [
    ['fuzz-manager', 'manager'],
    ['fuzz-desk', 'frontdesk'],
    ['fuzz', 'guest'],
  ] as const) {
    tokens.set(role, await signIn(app, user, role));
  }
});
afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const COMMANDS = ['RegisterRoom', 'BookRoom', 'CancelBooking', 'CheckIn', 'CheckOut'].map((t) => `hotel.${t}`);
const QUERIES = [
  'FreeRooms',
  'GuestBookings',
  'BookingDetails',
  'Occupancy',
  'GuestMail',
  'ManagementAlerts',
  'RecentEvents',
  'ProjectionLag',
].map((t) => `hotel.${t}`);

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const date = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 45 }).map((n) => addDays(TODAY, n)), weight: 4 },
  fc.constantFrom('2030-02-30', '2030-13-01', '', '2030-3-1', '01/03/2030', 'today', '9999-12-31', '0000-01-01'),
  printable,
);
const id = fc.oneof(fc.constantFrom('101', '102', '301', '999', 'demo-ada', 'demo-grace', 'b1', 'b2', ''), printable);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(80, 0, -1, Number.POSITIVE_INFINITY, Number.NaN));
const anyValue = fc.oneof(id, date, number, fc.boolean(), fc.constant(null), fc.jsonValue());
const payload = fc.record(
  {
    bookingId: fc.oneof(id, anyValue),
    roomId: fc.oneof(id, anyValue),
    guestId: fc.oneof(id, anyValue),
    from: fc.oneof(date, anyValue),
    to: fc.oneof(date, anyValue),
    reason: fc.oneof(printable, anyValue, fc.constant('x'.repeat(600))),
    number: fc.oneof(id, anyValue),
    type: fc.oneof(fc.constantFrom('single', 'double', 'suite', 'penthouse'), anyValue),
    pricePerNight: fc.oneof(number, anyValue),
    __proto__: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
/** Commands close to valid ones, so that many reach the write models and some succeed. */
const stay = fc
  .tuple(fc.integer({ min: -1, max: 30 }), fc.integer({ min: -1, max: 4 }))
  .map(([from, nights]) => ({ from: addDays(TODAY, from), to: addDays(TODAY, from + nights) }));
const bookingIds = fc.constantFrom('b1', 'b2', 'b3', 'demo-ada', 'demo-grace', 'nope');
const plausible = fc.oneof(
  fc.record({
    type: fc.constant('BookRoom'),
    data: fc
      .tuple(bookingIds, fc.constantFrom('101', '102', '301', '999'), stay)
      .map(([bookingId, roomId, dates]) => ({ bookingId, roomId, guestId: 'fuzz', ...dates })),
  }),
  fc.record({
    type: fc.constantFrom('CancelBooking', 'CheckIn', 'CheckOut'),
    data: fc.record({ bookingId: bookingIds, reason: printable }),
  }),
  fc.record({
    type: fc.constant('RegisterRoom'),
    data: fc.record({
      roomId: fc.constantFrom('101', '401', '402'),
      number: fc.constantFrom('401', '402'),
      type: fc.constantFrom('single', 'suite'),
      pricePerNight: fc.oneof(fc.integer({ min: -5, max: 500 }), fc.double()),
    }),
  }),
);
const body = fc.oneof(
  { arbitrary: payload.map((v) => JSON.stringify(v)), weight: 6 },
  fc.jsonValue().map((v) => JSON.stringify(v)),
  printable,
  fc.constantFrom('{', '[1,', '{"__proto__":{"x":1}}', 'null', '"a"', 'x'.repeat(5000)),
);
const queryString = fc.oneof(
  fc.constant(''),
  printable.map((q) => `?${q}`),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('from', 'to', 'date', 'guestId', 'bookingId', 'limit', 'cursor', 'after', 'x', '__proto__'),
        fc.oneof(date, id, fc.constantFrom('1', '-1', '0', '1e400', '200', '201', 'true', '[]', '%zz', '1.5')),
      ),
      { maxLength: 5 },
    )
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`),
);
const positionHeader = fc.oneof(fc.constant(undefined), fc.nat({ max: 400 }).map(String), printable);
const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data'),
      printable,
    ),
    'twofold-after': positionHeader,
    'idempotency-key': fc.oneof(fc.constantFrom('k1', 'k2'), printable),
    'if-match': printable,
    'twofold-correlation-id': printable,
    authorization: fc.oneof(fc.constantFrom('Bearer x', 'Basic x'), printable),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'text/event-stream'),
  },
  { requiredKeys: [] },
);
/** Who sends a request: most reach the handlers as a manager, some are refused as another role or anonymous. */
const signedInAs = fc.constantFrom<Role | undefined>('manager', 'manager', 'manager', 'frontdesk', 'guest', undefined);
const request = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      role: signedInAs,
      method: fc.constant('POST'),
      url: fc.constant(''),
      body: fc.constant(''),
      headers: fc.record(
        { 'content-type': fc.constant('application/json'), 'idempotency-key': fc.constantFrom('k1', 'k2') },
        { requiredKeys: ['content-type'] },
      ),
      command: plausible,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      role: signedInAs,
      method: fc.constant('POST'),
      url: fc.constantFrom(...COMMANDS).map((t) => `/api/commands/${t}`),
      body: payload.map((v) => JSON.stringify(v)),
      headers: fc.constant({ 'content-type': 'application/json' }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      role: signedInAs,
      method: fc.constantFrom('GET', 'POST'),
      url: fc.tuple(fc.constantFrom(...QUERIES), queryString).map(([t, q]) => `/api/queries/${t}${q}`),
      body,
      headers,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'),
      url: fc
        .tuple(
          fc.constantFrom('/api/commands/', '/api/queries/', '/api/', '/', '/assets/'),
          fc.oneof(fc.constantFrom(...COMMANDS, ...QUERIES), printable.map(encodeURIComponent)),
          queryString,
        )
        .map(([prefix, type, q]) => `${prefix}${type}${q}`),
      body,
      headers,
    }),
  },
);

it('never answers 5xx, and a 4xx changes nothing on the write side', async () => {
  let succeeded = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(request, async (generated) => {
      const { method, headers: given } = generated;
      const command = 'command' in generated ? generated.command : undefined;
      const url = command === undefined ? generated.url : `/api/commands/hotel.${command.type}`;
      const sent = command === undefined ? generated.body : JSON.stringify(command.data);
      const role = 'role' in generated ? generated.role : undefined;
      const token = role === undefined ? undefined : tokens.get(role);
      const requestHeaders = {
        ...(token === undefined ? {} : bearer(token)),
        ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
      } as Record<string, string>;
      const before = await app.stores.writes.head();
      const response = await app.server.inject({
        method: method as 'GET',
        url,
        headers: requestHeaders,
        ...(method === 'GET' || method === 'HEAD' ? {} : { payload: sent }),
      });
      const status = response.statusCode;
      // A position the log has not reached is a 400 at once (POSITION_AHEAD_OF_LOG), never a 504 after a wait.
      expect(status, `${method} ${url}: ${response.body}`).toBeLessThan(500);
      if (status >= 400) expect(await app.stores.writes.head()).toBe(before);
      if (url.startsWith('/api/commands/')) {
        if (status === 200) succeeded++;
        else if (status === 422) refused++;
      }
    }),
    { numRuns: 1500, interruptAfterTimeLimit: 15_000 },
  );
  // The run reached the write models, not only the parsers: some commands were decided, some refused by a rule.
  expect(succeeded).toBeGreaterThan(3);
  expect(refused).toBeGreaterThan(3);
});
