// The plugin's command route end to end, in process (fastify.inject): every status of the problem table.
import { describe, expect, it } from 'vitest';
import { GUEST, MANAGER } from '../fixtures/hotel.js';
import { booking, post, problem, seed, useApp } from './inject.js';

const start = useApp();

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
