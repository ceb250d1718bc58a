// The headers a command takes, in process (fastify.inject): correlation id, If-Match, Idempotency-Key.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { GUEST, MANAGER } from '../fixtures/hotel.js';
import { booking, post, problem, seed, useApp } from './inject.js';

const start = useApp();

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
  // Replays and 422s come from a write model's records: tests/e2e/idempotency.e2e.test.ts, on SQLite and PostgreSQL.
  it('409 while the first request with the key still runs', async () => {
    const s = await start();
    const headers = { authorization: GUEST, 'idempotency-key': 'slow-1' };
    const started = once(s.hotel.changes, 'slow');
    const first = post(s, '/commands/test.Slow', { ms: 200 }, headers);
    await started;
    expect(s.hotel.calls).toBe(1);
    const second = await post(s, '/commands/test.Slow', { ms: 200 }, headers);
    expect(second.statusCode).toBe(409);
    expect(problem(second).code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect((await first).statusCode).toBe(200);
  });

  // Keys kept apart per caller: tests/e2e/idempotency.e2e.test.ts, where a write model keeps records to replay.
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
