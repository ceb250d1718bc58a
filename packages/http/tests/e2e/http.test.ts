// The plugin end to end, in process (fastify.inject): every route, every status of the problem table.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProblemDetails } from '../../src/index.js';
import { GUEST, MANAGER } from '../fixtures/hotel.js';
import { type Setup, setup } from './setup.js';

let current: Setup | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

async function start(options?: Parameters<typeof setup>[0]): Promise<Setup> {
  current = await setup(options);
  return current;
}

function post(s: Setup, url: string, payload: unknown, headers: Record<string, string> = {}) {
  return s.app.inject({ method: 'POST', url: `/api${url}`, payload: payload as object, headers });
}

async function seed(s: Setup): Promise<void> {
  for (const room of [
    { roomId: '101', price: 90, accessible: true },
    { roomId: '102', price: 120 },
    { roomId: '201', price: 200 },
  ]) {
    expect((await post(s, '/commands/hotel.RegisterRoom', room, { authorization: MANAGER })).statusCode).toBe(200);
  }
}

const booking = (over: Record<string, unknown> = {}) => ({
  bookingId: 'b1',
  roomId: '101',
  nights: 2,
  guest: { name: 'Ada', email: 'ada@example.com' },
  ...over,
});

function problem(response: { headers: Record<string, unknown>; json(): unknown }): ProblemDetails {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  return response.json() as ProblemDetails;
}

describe('commands', () => {
  it('runs a command and answers its result and position, also as Twofold-Position', async () => {
    const s = await start();
    await seed(s);
    const response = await post(s, '/commands/hotel.BookRoom', booking(), { authorization: GUEST });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ result: { bookingId: 'b1', total: 180 }, position: 4 });
    expect(response.headers['twofold-position']).toBe('4');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers null for a command without a result', async () => {
    const s = await start();
    const response = await post(
      s,
      '/commands/hotel.RegisterRoom',
      { roomId: '1', price: 5 },
      { authorization: MANAGER },
    );
    expect(response.json()).toEqual({ result: null, position: 1 });
  });

  it('400: lists every validation issue with its path', async () => {
    const s = await start();
    await seed(s);
    const response = await post(
      s,
      '/commands/hotel.BookRoom',
      booking({ nights: 0, guest: { name: 'A', email: 'x' } }),
      {
        authorization: GUEST,
      },
    );
    expect(response.statusCode).toBe(400);
    const body = problem(response);
    expect(body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: '/api/commands/hotel.BookRoom' });
    expect(body.issues?.map((i) => i.path)).toEqual([['nights'], ['guest', 'email']]);
    expect(s.hotel.calls).toBe(3);
  });

  it('401 without credentials for a command that needs them, with WWW-Authenticate', async () => {
    const s = await start();
    const response = await post(s, '/commands/hotel.BookRoom', booking());
    expect(response.statusCode).toBe(401);
    expect(problem(response).code).toBe('UNAUTHENTICATED');
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('401 for a token the hook rejects, and for another scheme', async () => {
    const s = await start();
    for (const authorization of ['Bearer nope', 'Basic YTpi']) {
      const response = await post(s, '/commands/hotel.BookRoom', booking(), { authorization });
      expect(response.statusCode).toBe(401);
      expect(problem(response).code).toBe('UNAUTHENTICATED');
    }
  });

  it('403 when the command policy refuses the principal; queries have their own policy', async () => {
    const s = await start();
    const refused = await post(s, '/commands/hotel.RegisterRoom', { roomId: '1', price: 5 }, { authorization: GUEST });
    expect(refused.statusCode).toBe(403);
    expect(problem(refused)).toMatchObject({
      code: 'FORBIDDEN',
      detail: "'guest-1' may not send 'hotel.RegisterRoom'",
    });
    const anonymousRead = await s.app.inject({ method: 'GET', url: '/api/queries/hotel.FreeRooms' });
    expect(anonymousRead.statusCode).toBe(200);
    expect(s.hotel.writes).toBe(0);
  });

  it('404 for an unknown type and for NOT_FOUND from the handler', async () => {
    const s = await start();
    const unknown = await post(s, '/commands/hotel.Nope', {}, { authorization: GUEST });
    expect(unknown.statusCode).toBe(404);
    expect(problem(unknown).code).toBe('NO_HANDLER');
    const missing = await post(s, '/commands/hotel.CancelBooking', { bookingId: 'x' }, { authorization: GUEST });
    expect(missing.statusCode).toBe(404);
    expect(problem(missing)).toMatchObject({ code: 'NOT_FOUND', detail: 'There is no booking x' });
  });

  it('405 with Allow for another method', async () => {
    const s = await start();
    const response = await s.app.inject({ method: 'GET', url: '/api/commands/hotel.BookRoom' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(problem(response).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('409 for a concurrency conflict', async () => {
    const s = await start();
    const response = await post(s, '/commands/test.Conflict', {}, { authorization: GUEST });
    expect(response.statusCode).toBe(409);
    expect(problem(response).code).toBe('CONCURRENCY_CONFLICT');
  });

  it('422 for a domain rule, with the rule and its details', async () => {
    const s = await start();
    await seed(s);
    await post(s, '/commands/hotel.BookRoom', booking(), { authorization: GUEST });
    const response = await post(s, '/commands/hotel.BookRoom', booking({ bookingId: 'b2' }), { authorization: GUEST });
    expect(response.statusCode).toBe(422);
    expect(problem(response)).toMatchObject({
      code: 'DOMAIN_RULE',
      rule: 'ROOM_TAKEN',
      details: { roomId: '101' },
      detail: 'Room 101 is booked',
    });
  });

  it('413 for a body over the limit', async () => {
    const s = await start({ bodyLimit: 1024 });
    const response = await post(s, '/commands/hotel.BookRoom', booking({ bookingId: 'x'.repeat(2000) }), {
      authorization: GUEST,
    });
    expect(response.statusCode).toBe(413);
    expect(problem(response).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('4xx, never 500, for malformed JSON, an empty JSON body, a wrong content type and __proto__', async () => {
    const s = await start();
    const cases: [string | undefined, string, number][] = [
      ['application/json', '{"roomId": ', 400],
      ['application/json', '', 400],
      ['text/plain', 'hello', 415],
      ['application/x-www-form-urlencoded', 'a=1', 415],
      ['application/json', '{"__proto__": {"admin": true}}', 400],
    ];
    for (const [type, payload, status] of cases) {
      const response = await s.app.inject({
        method: 'POST',
        url: '/api/commands/hotel.RegisterRoom',
        payload,
        headers: { authorization: MANAGER, ...(type === undefined ? {} : { 'content-type': type }) },
      });
      expect(response.statusCode, `${type} ${payload}`).toBe(status);
      expect(problem(response).code).toBe(status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'MALFORMED_REQUEST');
    }
    expect(s.hotel.calls).toBe(0);
  });

  it('500 for an unexpected error: logged, with nothing of it in the answer', async () => {
    const s = await start();
    const response = await post(
      s,
      '/commands/test.Explode',
      {},
      {
        authorization: GUEST,
        'twofold-correlation-id': 'req-42',
      },
    );
    expect(response.statusCode).toBe(500);
    const body = problem(response);
    expect(body).toMatchObject({ code: 'INTERNAL', correlationId: 'req-42' });
    expect(response.body).not.toContain('hunter2');
    expect(s.logs.join('')).toContain('hunter2');
    expect(s.logs.join('')).toContain('req-42');
  });

  it('504 when a command runs past the timeout', async () => {
    const s = await start({ timeout: 50 });
    const response = await post(s, '/commands/test.Slow', { ms: 2000 }, { authorization: GUEST });
    expect(response.statusCode).toBe(504);
    expect(problem(response).code).toBe('DEADLINE_EXCEEDED');
  });
});

describe('envelope plumbing', () => {
  it('echoes Twofold-Correlation-Id and puts it, the idempotency key and If-Match on the envelope', async () => {
    const s = await start();
    const seen: unknown[] = [];
    s.hotel.mediator.use({ kind: 'command' }, async (ctx, next) => {
      const { correlationId, metadata, idempotencyKey } = ctx.envelope;
      seen.push({ correlationId, metadata, idempotencyKey, who: ctx.principal?.id });
      return next();
    });
    const response = await post(
      s,
      '/commands/hotel.RegisterRoom',
      { roomId: '1', price: 5 },
      {
        authorization: MANAGER,
        'twofold-correlation-id': 'trace-7',
        'idempotency-key': 'k-1',
        'if-match': '"3", W/"weak"',
      },
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['twofold-correlation-id']).toBe('trace-7');
    expect(seen).toEqual([
      {
        correlationId: 'trace-7',
        metadata: { ifMatch: ['3'] },
        idempotencyKey: JSON.stringify(['manager-1', 'k-1']),
        who: 'manager-1',
      },
    ]);
  });

  it('makes up a correlation id when none is sent, and refuses a malformed one', async () => {
    const s = await start();
    const fresh = await s.app.inject({ method: 'GET', url: '/api/queries/hotel.FreeRooms' });
    expect(fresh.headers['twofold-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await s.app.inject({
      method: 'GET',
      url: '/api/queries/hotel.FreeRooms',
      headers: { 'twofold-correlation-id': 'has spaces' },
    });
    expect(bad.statusCode).toBe(400);
    expect(problem(bad).correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('If-Match', () => {
  it('412 when the precondition hook says the version moved on; the command does not run', async () => {
    const s = await start({ precondition: ({ ifMatch }) => ifMatch.includes('7') || ifMatch.includes('*') });
    const stale = await post(
      s,
      '/commands/hotel.RegisterRoom',
      { roomId: '1', price: 5 },
      {
        authorization: MANAGER,
        'if-match': '"6"',
      },
    );
    expect(stale.statusCode).toBe(412);
    expect(problem(stale).code).toBe('PRECONDITION_FAILED');
    expect(s.hotel.calls).toBe(0);
    for (const tag of ['"7"', '*']) {
      const fresh = await post(
        s,
        '/commands/hotel.RegisterRoom',
        { roomId: '1', price: 5 },
        {
          authorization: MANAGER,
          'if-match': tag,
        },
      );
      expect(fresh.statusCode).toBe(200);
    }
    const malformed = await post(s, '/commands/hotel.RegisterRoom', {}, { authorization: MANAGER, 'if-match': '7' });
    expect(malformed.statusCode).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  // Replays and 422s come from a write model's records: tests/e2e/idempotency.test.ts, on SQLite and PostgreSQL.
  it('409 while the first request with the key still runs', async () => {
    const s = await start();
    const headers = { authorization: GUEST, 'idempotency-key': 'slow-1' };
    const first = post(s, '/commands/test.Slow', { ms: 200 }, headers);
    await vi.waitFor(() => expect(s.hotel.calls).toBe(1));
    const second = await post(s, '/commands/test.Slow', { ms: 200 }, headers);
    expect(second.statusCode).toBe(409);
    expect(problem(second).code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect((await first).statusCode).toBe(200);
  });

  // Keys kept apart per caller: tests/e2e/idempotency.test.ts, where a write model keeps records to replay.
  it('runs again after a failure', async () => {
    const s = await start();
    await seed(s);
    const guest = { authorization: GUEST, 'idempotency-key': 'k' };
    expect((await post(s, '/commands/hotel.BookRoom', booking({ roomId: '999' }), guest)).statusCode).toBe(404);
    expect((await post(s, '/commands/hotel.BookRoom', booking(), guest)).statusCode).toBe(200);
  });

  it('ignores the header when idempotency is off, and refuses a malformed key', async () => {
    const off = await start({ idempotency: false });
    await seed(off);
    const headers = { authorization: GUEST, 'idempotency-key': 'k' };
    await post(off, '/commands/hotel.BookRoom', booking(), headers);
    expect((await post(off, '/commands/hotel.BookRoom', booking(), headers)).statusCode).toBe(422);
    await off.app.close();
    const on = await start();
    const bad = await post(on, '/commands/hotel.BookRoom', booking(), { authorization: GUEST, 'idempotency-key': 'ä' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('queries', () => {
  it('GET coerces query-string values by the input schema', async () => {
    const s = await start();
    await seed(s);
    const response = await s.app.inject({
      method: 'GET',
      url: '/api/queries/hotel.FreeRooms?maxPrice=150&accessible=false&roomIds=102&roomIds=201',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ result: [{ roomId: '102', price: 120, accessible: false }] });
    const single = await s.app.inject({ method: 'GET', url: '/api/queries/hotel.FreeRooms?roomIds=201' });
    expect(single.json().result.map((r: { roomId: string }) => r.roomId)).toEqual(['201']);
  });

  it('GET answers 400 with the path of a value that does not coerce', async () => {
    const s = await start();
    const response = await s.app.inject({
      method: 'GET',
      url: '/api/queries/hotel.FreeRooms?maxPrice=cheap&minNights=1.5',
    });
    expect(response.statusCode).toBe(400);
    expect(problem(response).issues?.map((i) => i.path)).toEqual([['maxPrice'], ['minNights']]);
  });

  it('POST takes the parameters as a JSON body', async () => {
    const s = await start();
    await seed(s);
    const response = await post(s, '/queries/hotel.FreeRooms', { roomIds: ['101'] });
    expect(response.json()).toEqual({ result: [{ roomId: '101', price: 90, accessible: true }] });
  });

  it('404 for an unknown query, 405 for PUT', async () => {
    const s = await start();
    const unknown = await s.app.inject({ method: 'GET', url: '/api/queries/hotel.Nope' });
    expect(problem(unknown)).toMatchObject({ status: 404, code: 'NO_HANDLER' });
    const put = await s.app.inject({ method: 'PUT', url: '/api/queries/hotel.FreeRooms' });
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
  });

  it('streams a streaming query as NDJSON', async () => {
    const s = await start();
    await seed(s);
    const response = await s.app.inject({ method: 'GET', url: '/api/queries/hotel.AllRooms' });
    expect(response.headers['content-type']).toBe('application/x-ndjson');
    expect(
      response.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).roomId),
    ).toEqual(['101', '102', '201']);
  });
});

describe('read-your-writes tokens', () => {
  it('passes Twofold-After or ?after= on to the mediator, which waits for the read models', async () => {
    const s = await start();
    await s.app.inject({ method: 'GET', url: '/api/queries/hotel.FreeRooms', headers: { 'twofold-after': '12' } });
    await s.app.inject({ method: 'GET', url: '/api/queries/hotel.FreeRooms?after=7' });
    await post(s, '/queries/hotel.Booking?after=3', { bookingId: 'b1' });
    await s.app.inject({ method: 'GET', url: '/api/queries/hotel.FreeRooms' });
    expect(s.hotel.readModel.waits).toEqual([12, 7, 3]);
  });

  it('leaves ?after= to a query that has a parameter of that name', async () => {
    const s = await start();
    const response = await s.app.inject({
      method: 'GET',
      url: '/api/queries/test.Since?after=yesterday',
      headers: { 'twofold-after': '5' },
    });
    expect(response.json()).toEqual({ result: 'since yesterday' });
    expect(s.hotel.readModel.waits).toEqual([5]);
  });

  it('504 CONSISTENCY_TIMEOUT when the read models do not catch up in time', async () => {
    const s = await start();
    s.hotel.readModel.position = 10;
    const late = await s.app.inject({
      method: 'GET',
      url: '/api/queries/hotel.FreeRooms',
      headers: { 'twofold-after': '11' },
    });
    expect(late.statusCode).toBe(504);
    expect(problem(late).code).toBe('CONSISTENCY_TIMEOUT');
    const fine = await s.app.inject({ method: 'GET', url: '/api/queries/hotel.FreeRooms?after=10' });
    expect(fine.statusCode).toBe(200);
  });

  it('400 for a token that is not a position', async () => {
    const s = await start();
    for (const url of ['/api/queries/hotel.FreeRooms?after=-1', '/api/queries/hotel.FreeRooms?after=1&after=2']) {
      expect((await s.app.inject({ method: 'GET', url })).statusCode).toBe(400);
    }
    const header = await s.app.inject({
      method: 'GET',
      url: '/api/queries/hotel.FreeRooms',
      headers: { 'twofold-after': '99999999999999999999' },
    });
    expect(problem(header).code).toBe('MALFORMED_REQUEST');
    expect(s.hotel.readModel.waits).toEqual([]);
  });
});

describe('OpenAPI and docs', () => {
  it('serves an OpenAPI 3.1 document generated from the schemas', async () => {
    const s = await start({ info: { title: 'Hotel', version: '1.2.3' }, changes: async function* () {} });
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'Hotel', version: '1.2.3' });
    expect(doc.servers).toEqual([{ url: '/api' }]);
    expect(Object.keys(doc.paths)).toContain('/commands/hotel.BookRoom');
    expect(Object.keys(doc.paths)).toContain('/queries/hotel.FreeRooms/live');
    expect(Object.keys(doc.paths)).not.toContain('/queries/hotel.AllRooms/live');
    expect(doc.components.schemas['hotel.BookRoom.Input'].properties.guest.properties.email.format).toBe('email');
    expect(doc.components.schemas['hotel.BookRoom.Input'].required).toEqual(['bookingId', 'roomId', 'nights', 'guest']);
    const get = doc.paths['/queries/hotel.FreeRooms'].get;
    expect(get.parameters.find((p: { name?: string }) => p.name === 'roomIds')).toMatchObject({
      in: 'query',
      style: 'form',
      explode: true,
      schema: { type: 'array', items: { type: 'string' } },
    });
    expect(doc.paths['/commands/hotel.BookRoom'].post.responses['422']).toEqual({
      $ref: '#/components/responses/Problem',
    });
    expect(doc.security).toEqual([{ bearer: [] }, {}]);
    // Every reference points at something the document defines.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const path = ref.slice(8, -1).replace(/^#\//, '').split('/');
      expect(
        path.reduce((node, key) => node?.[key], doc),
        ref,
      ).toBeDefined();
    }
  });

  it('serves a self-contained docs page', async () => {
    const s = await start();
    const page = await s.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('/commands/hotel.BookRoom');
    expect(page.body).toContain('Rooms that nobody has booked');
    expect(page.body).toContain('DOMAIN_RULE');
    expect(page.body).not.toMatch(/<script|<link|src=/);
  });
});
