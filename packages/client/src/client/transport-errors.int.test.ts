// What the client raises when a request gets no usable answer, against real sockets: every failure is a
// RemoteError with a code (plain TypeErrors, AbortErrors and SyntaxErrors escaped before).
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { defineQuery, defineStreamQuery } from '@twofold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isRemoteError } from '../errors/remote-error.js';
import { createClient } from './create-client.js';

const Rooms = defineQuery('hotel.Rooms', z.object({}), z.array(z.string()));
const AllRooms = defineStreamQuery('hotel.AllRooms', z.object({}), z.string());

let server: Server;
let baseUrl: string;
// The answer of the live query in flight, whose connection the test breaks.
let live: ServerResponse | undefined;
beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url?.startsWith('/queries/hotel.AllRooms')) {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.end('"101"\n{not json\n');
    } else if (request.url?.startsWith('/queries/hotel.Rooms')) {
      // Headers and a first result; the test then breaks the connection: the stream ends mid-way.
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('event: result\ndata: {"result":["101"]}\n\n');
      live = response;
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );
async function drain(items: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const _ of items);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('the client when a request gets no usable answer', () => {
  it('raises UNAVAILABLE with the cause when nothing listens (a plain TypeError escaped)', async () => {
    const error = await failure(createClient({ baseUrl: 'http://127.0.0.1:1' }).ask(Rooms, {}));
    expect(isRemoteError(error, 'UNAVAILABLE')).toBe(true);
    expect(error).toMatchObject({ status: 0, message: expect.stringMatching(/could not be reached/) });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('raises CANCELLED when the caller aborts (an AbortError escaped)', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(createClient({ baseUrl }).ask(Rooms, {}, { signal: controller.signal }));
    expect(isRemoteError(error, 'CANCELLED')).toBe(true);
  });

  it('raises UNEXPECTED_RESPONSE for a stream line that is not JSON (a SyntaxError escaped)', async () => {
    const error = await drain(createClient({ baseUrl }).stream(AllRooms, {}));
    expect(isRemoteError(error, 'UNEXPECTED_RESPONSE')).toBe(true);
  });

  it('raises UNAVAILABLE when the connection of a live query breaks', async () => {
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for await (const rooms of createClient({ baseUrl }).live(Rooms, {})) {
        seen.push(rooms);
        live?.socket?.destroy();
      }
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual([['101']]);
    expect(isRemoteError(error, 'UNAVAILABLE')).toBe(true);
  });
});
