// The plugin's query routes end to end, in process (fastify.inject), and read-your-writes tokens.
import { describe, expect, it } from 'vitest';
import { post, problem, seed, useApp } from './inject.js';

const start = useApp();

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
