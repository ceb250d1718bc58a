// The plugin over a real socket (127.0.0.1, port 0), driven by @twofold/client: the whole round trip,
// read-your-writes, typed errors, NDJSON streams and live queries over server-sent events.
import { on } from 'node:events';
import { type Client, createClient, isRemoteError, RemoteError } from '@twofold/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AllRooms,
  Booking,
  BookRoom,
  CancelBooking,
  FreeRooms,
  GUEST,
  MANAGER,
  RegisterRoom,
  Slow,
} from '../fixtures/hotel.js';
import { type Setup, setup } from './setup.js';

let s: Setup;
let baseUrl: string;
let liveConnections = 0;

beforeAll(async () => {
  s = await setup({
    async *changes(_query, signal) {
      liveConnections += 1;
      try {
        for await (const [position] of on(s.hotel.changes, 'change', { signal })) yield position;
      } finally {
        liveConnections -= 1;
      }
    },
  });
  const address = await s.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `${address}/api`;
});
afterAll(async () => {
  await s.app.close();
});

const guest = () => createClient({ baseUrl, headers: { authorization: GUEST } });
const manager = () => createClient({ baseUrl, headers: () => ({ authorization: MANAGER }) });

async function registerRooms(client: Client, ...ids: string[]) {
  for (const roomId of ids) await client.send(RegisterRoom, { roomId, price: 100 });
}

const booking = (bookingId: string, roomId: string) => ({
  bookingId,
  roomId,
  nights: 1,
  guest: { name: 'Ada', email: 'ada@example.com' },
});

describe('the typed client over a socket', () => {
  it('sends commands, asks queries, and carries its last position forward as Twofold-After', async () => {
    const ops = manager();
    await registerRooms(ops, 'r1', 'r2');
    expect(ops.position).toBe(s.hotel.writes);
    const client = guest();
    expect(client.position).toBeUndefined();
    const { bookingId, total } = await client.send(BookRoom, booking('s1', 'r1'));
    expect({ bookingId, total }).toEqual({ bookingId: 's1', total: 100 });
    expect(client.position).toBe(s.hotel.writes);
    s.hotel.readModel.waits.length = 0;
    const details = await client.ask(Booking, { bookingId: 's1' });
    expect(details).toEqual({ bookingId: 's1', roomId: 'r1', nights: 1 });
    expect(s.hotel.readModel.waits).toEqual([client.position]);
    const executed = await client.execute(CancelBooking, { bookingId: 's1' });
    expect(executed).toEqual({ result: null, position: s.hotel.writes });
  });

  it('asks with GET when the parameters fit a URL, and falls back to POST when they do not', async () => {
    const client = guest();
    await registerRooms(manager(), 'big-1');
    const few = await client.ask(FreeRooms, { roomIds: ['big-1'], maxPrice: 100, accessible: false });
    expect(few.map((r) => r.roomId)).toEqual(['big-1']);
    const many = Array.from({ length: 400 }, (_, i) => `room-${i}`).concat('big-1');
    expect((await client.ask(FreeRooms, { roomIds: many })).map((r) => r.roomId)).toEqual(['big-1']);
  });

  it('turns problem documents into RemoteErrors with the server code', async () => {
    const client = guest();
    await registerRooms(manager(), 'e1');
    await client.send(BookRoom, booking('e-1', 'e1'));
    const taken = await client.send(BookRoom, booking('e-2', 'e1')).catch((e: unknown) => e);
    expect(isRemoteError(taken, 'DOMAIN_RULE')).toBe(true);
    if (!isRemoteError(taken, 'DOMAIN_RULE')) return;
    expect(taken).toMatchObject({ status: 422, rule: 'ROOM_TAKEN', details: { roomId: 'e1' } });
    expect(taken.correlationId).toMatch(/^[0-9a-f-]{36}$/);

    const invalid = await client.send(BookRoom, { ...booking('e-3', 'e1'), nights: -1 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(RemoteError);
    expect((invalid as RemoteError).issues).toEqual([{ path: ['nights'], message: expect.any(String) }]);

    const anonymous = createClient({ baseUrl });
    await expect(anonymous.send(CancelBooking, { bookingId: 'x' })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
    });
    await expect(client.send(RegisterRoom, { roomId: 'x', price: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    s.hotel.readModel.position = 0;
    try {
      await expect(client.ask(FreeRooms, {})).rejects.toMatchObject({ code: 'CONSISTENCY_TIMEOUT', status: 504 });
      expect((await client.ask(FreeRooms, {}, { after: 0 as never })).length).toBeGreaterThanOrEqual(0);
    } finally {
      s.hotel.readModel.position = Number.MAX_SAFE_INTEGER;
    }
  });

  it('reports an answer that is not a problem document as UNEXPECTED_RESPONSE', async () => {
    const client = createClient({ baseUrl: `${baseUrl}/nowhere` });
    await expect(client.ask(FreeRooms, {})).rejects.toMatchObject({ code: 'UNEXPECTED_RESPONSE', status: 404 });
  });

  // The client's idempotency keys against a write model: tests/e2e/idempotency.e2e.test.ts.

  it('reads a streaming query as NDJSON', async () => {
    const ids: string[] = [];
    for await (const room of guest().stream(AllRooms, {})) ids.push(room.roomId);
    expect(ids).toEqual([...s.hotel.rooms.keys()]);
  });

  it('cancels a request through its signal', async () => {
    const controller = new AbortController();
    const pending = guest().send(Slow, { ms: 5_000 }, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow();
  });
});

describe('live queries over server-sent events', () => {
  it('speaks text/event-stream: a result event first', async () => {
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/queries/hotel.Booking/live?bookingId=none`, {
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('twofold-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await reader.read();
    expect(value).toBe('event: result\nid: 1\ndata: {"result":null}\n\n');
    controller.abort();
  });

  it('pushes a new answer when a change makes it differ, and only then', async () => {
    await registerRooms(manager(), 'l1', 'l2');
    const client = guest();
    const seen: string[][] = [];
    const controller = new AbortController();
    const connectionsBefore = liveConnections;
    const follow = (async () => {
      for await (const rooms of client.live(FreeRooms, { roomIds: ['l1', 'l2'] }, { signal: controller.signal })) {
        seen.push(rooms.map((r) => r.roomId));
        if (seen.length === 1) {
          // Changes that leave the answer as it was send nothing…
          s.hotel.changes.emit('change', s.hotel.writes);
          s.hotel.changes.emit('change', s.hotel.writes);
          await client.send(BookRoom, booking('b-l2', 'l2'));
        }
        if (seen.length === 2) break;
      }
    })();
    await follow;
    // …so the second event is the booking.
    expect(seen).toEqual([['l1', 'l2'], ['l1']]);
    await expect.poll(() => liveConnections).toBe(connectionsBefore);
  });

  it('answers a failing first run with a problem document, not a stream', async () => {
    const client = guest();
    const iterator = client.live(FreeRooms, { maxPrice: 'cheap' } as never)[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
  });
});
