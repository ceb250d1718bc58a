// Deeply nested JSON bodies are refused before anything walks them: no recursion meets them, the process lives.
import { afterEach, describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../src/plugin/body-depth.js';
import { GUEST, MANAGER } from '../fixtures/hotel.js';
import { type Setup, setup } from './setup.js';

let current: Setup | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

const LEVELS = Number(process.env.TWOFOLD_DEEP_BODY_LEVELS ?? 100_000);

function nested(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

function post(s: Setup, url: string, payload: string, headers: Record<string, string> = {}) {
  return s.app.inject({
    method: 'POST',
    url: `/api${url}`,
    payload,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('body depth', () => {
  it(`answers 400 naming the limit to a body nested ${LEVELS} levels deep with an Idempotency-Key, and lives on`, async () => {
    current = await setup();
    const s = current;
    const deep = `{"bookingId":"b1","roomId":"101","nights":2,"guest":${nested(LEVELS)}}`;
    const response = await post(s, '/commands/hotel.BookRoom', deep, { authorization: GUEST, 'idempotency-key': 'k' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'MALFORMED_REQUEST' });
    expect(response.json().detail).toMatch(/more than 64 levels deep/);
    expect(s.hotel.calls).toBe(0);
    const query = await post(s, '/queries/hotel.FreeRooms', nested(LEVELS));
    expect(query.statusCode).toBe(400);
    const room = JSON.stringify({ roomId: '101', price: 90 });
    expect((await post(s, '/commands/hotel.RegisterRoom', room, { authorization: MANAGER })).statusCode).toBe(200);
    expect(s.logs).toEqual([]);
  });

  it('takes maxBodyDepth: that depth passes, one more does not', async () => {
    current = await setup({ maxBodyDepth: 2 });
    const s = current;
    const room = (extra: unknown) => JSON.stringify({ roomId: '101', price: 90, extra });
    const ok = await post(s, '/commands/hotel.RegisterRoom', room([1]), { authorization: MANAGER });
    expect(ok.statusCode).toBe(200);
    const deep = await post(s, '/commands/hotel.RegisterRoom', room([[1]]), { authorization: MANAGER });
    expect(deep.statusCode).toBe(400);
    expect(deep.json().detail).toMatch(/more than 2 levels deep; this server accepts at most 2/);
    await expect(setup({ maxBodyDepth: 0 })).rejects.toThrow(/maxBodyDepth must be a whole number > 0/);
  });

  it('counts depth without recursion', () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [] }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: 1, b: [1, { c: null }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: [1, { c: {} }] }, 3)).toBe(true);
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(nestsDeeperThan(deep, 64)).toBe(true);
  });
});
