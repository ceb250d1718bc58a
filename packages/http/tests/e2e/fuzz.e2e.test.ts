// Property: whatever a client sends — random or malformed payloads, headers, query strings — the plugin
// never answers 5xx, and an answer of 4xx leaves the application's state exactly as it was.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST, MANAGER } from '../fixtures/hotel.js';
import { type Setup, setup } from './setup.js';

let s: Setup;
beforeAll(async () => {
  s = await setup({ bodyLimit: 4096, changes: async function* () {} });
});
afterAll(async () => {
  await s.app.close();
});

const snapshot = () =>
  JSON.stringify({ writes: s.hotel.writes, rooms: [...s.hotel.rooms], bookings: [...s.hotel.bookings] });

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const types = fc.oneof(
  fc.constantFrom('hotel.RegisterRoom', 'hotel.BookRoom', 'hotel.CancelBooking', 'test.Conflict'),
  fc.constantFrom('hotel.FreeRooms', 'hotel.Booking', 'test.Since', 'hotel.AllRooms'),
  printable.map(encodeURIComponent),
  printable.filter((t) => t.length > 0 && !/[?#/\\]/.test(t)),
);
const path = fc.oneof(
  types.map((t) => `/api/commands/${t}`),
  types.map((t) => `/api/queries/${t}`),
  fc.constant('/api/openapi.json'),
  fc.constant('/api/docs'),
  printable.map((p) => `/api/${p.replace(/[?#]/g, '')}`),
);
const queryString = fc.oneof(
  fc.constant(''),
  printable.map((q) => `?${q}`),
  fc
    .array(
      fc.tuple(
        fc.constantFrom('maxPrice', 'accessible', 'roomIds', 'minNights', 'after', 'bookingId', 'x', '__proto__'),
        fc.oneof(printable, fc.constantFrom('1', '-1', '1e400', 'true', 'null', '[]', '{}', '%zz', '1.5')),
      ),
      { maxLength: 5 },
    )
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
);
const room = fc.record(
  { roomId: fc.oneof(fc.string(), fc.constantFrom('101', '102')), price: fc.oneof(fc.double(), fc.integer()) },
  { requiredKeys: [] },
);
const bookRoom = fc.record(
  {
    bookingId: fc.oneof(fc.string(), fc.constant('b1')),
    roomId: fc.oneof(fc.string(), fc.constantFrom('101', '102')),
    nights: fc.oneof(fc.integer({ min: -2, max: 40 }), fc.double(), fc.string()),
    guest: fc.oneof(fc.record({ name: fc.string(), email: fc.oneof(fc.emailAddress(), fc.string()) }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  room.map((v) => JSON.stringify(v)),
  bookRoom.map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constantFrom('{', '{"a":', '[1,', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', 'x'.repeat(5000)),
);
const headerValue = fc.oneof(printable, fc.constantFrom('', '1', '-1', '"7"', '*', 'W/"x"', 'Bearer', 'a'.repeat(300)));
const headers = fc.record(
  {
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml'),
      printable,
    ),
    authorization: fc.oneof(fc.constantFrom(GUEST, MANAGER, 'Bearer nope', 'Basic x'), printable),
    'twofold-after': headerValue,
    'twofold-correlation-id': headerValue,
    'idempotency-key': headerValue,
    'if-match': headerValue,
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*'),
  },
  { requiredKeys: [] },
);

/** Requests close to valid ones, so that many get past the parsers to validation, policies and handlers. */
const plausible = fc.record({
  method: fc.constant('POST'),
  url: fc.constantFrom(
    '/api/commands/hotel.RegisterRoom',
    '/api/commands/hotel.BookRoom',
    '/api/commands/hotel.CancelBooking',
  ),
  query: fc.constant(''),
  payload: fc
    .oneof(room, bookRoom, fc.record({ bookingId: fc.constantFrom('b1', 'b2') }))
    .map((v) => JSON.stringify(v)),
  headers: fc.record({
    'content-type': fc.constant('application/json'),
    authorization: fc.constantFrom(GUEST, MANAGER),
    'idempotency-key': fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 9 },
      { arbitrary: fc.constantFrom('k1', 'k2'), weight: 1 },
    ),
  }),
});
const anything = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  url: path,
  query: queryString,
  payload: body,
  headers,
});

describe('HTTP fuzz', () => {
  it('never answers 5xx, and a 4xx changes no state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: anything, weight: 3 }, { arbitrary: plausible, weight: 1 }),
        async ({ method, url, query, payload, headers: sent }) => {
          const requestHeaders = Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined));
          const before = snapshot();
          // `/live` streams forever by design; the fuzz covers its validation through the plain GET.
          const target = `${url.replace(/\/live$/, '')}${query}`;
          const response = await s.app.inject({
            method: method as 'GET',
            url: target,
            headers: requestHeaders,
            ...(payload === undefined || method === 'GET' || method === 'HEAD' ? {} : { payload }),
          });
          expect(response.statusCode, `${method} ${target}: ${response.body}`).toBeLessThan(500);
          if (response.statusCode >= 400) expect(snapshot()).toBe(before);
        },
      ),
      { numRuns: 2000, interruptAfterTimeLimit: 10_000 },
    );
    // The run reached the handlers, not only the parsers, and some commands succeeded. The run is bounded in time,
    // so on a slow machine it is shorter: ask for some, not for a number that a short run can miss.
    expect(s.hotel.calls).toBeGreaterThan(10);
    expect(s.hotel.writes).toBeGreaterThan(0);
  });
});
