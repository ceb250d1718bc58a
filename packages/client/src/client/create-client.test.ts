import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineCommand, defineQuery, type GlobalPosition } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isRemoteError, RemoteError } from '../errors/remote-error.js';
import { createClient } from './create-client.js';

const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string() }), {
  result: z.object({ bookingId: z.string() }),
});
const FreeRooms = defineQuery(
  'hotel.FreeRooms',
  z.object({ ids: z.array(z.string()).optional(), max: z.number().optional(), filter: z.object({}).optional() }),
  z.array(z.string()),
);

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** A fetch that records each request and answers from a script. */
function fakeFetch(answer: (sent: Sent) => Response) {
  const sent: Sent[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const request: Sent = {
      url: String(url),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers)),
      body: init?.body as string | undefined,
    };
    sent.push(request);
    return answer(request);
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

describe('createClient', () => {
  it('posts commands as JSON under baseUrl, with the default and per-call headers', async () => {
    const { fetch, sent } = fakeFetch(() => json({ result: { bookingId: 'b1' }, position: 3 }));
    const client = createClient({ baseUrl: 'http://h/api', fetch, headers: () => ({ authorization: 'Bearer t' }) });
    const result = await client.send(
      BookRoom,
      { roomId: '1' },
      { idempotencyKey: 'k', ifMatch: '"2"', headers: { 'x-a': '1' } },
    );
    expect(result).toEqual({ bookingId: 'b1' });
    expect(sent[0]).toEqual({
      url: 'http://h/api/commands/hotel.BookRoom',
      method: 'POST',
      headers: {
        accept: 'application/json',
        authorization: 'Bearer t',
        'content-type': 'application/json',
        'idempotency-key': 'k',
        'if-match': '"2"',
        'x-a': '1',
      },
      body: '{"roomId":"1"}',
    });
  });

  it('sends the highest position it has seen as Twofold-After, unless told otherwise', async () => {
    const positions = [5, 2];
    const { fetch, sent } = fakeFetch((request) =>
      request.url.includes('/commands/') ? json({ result: null, position: positions.shift() }) : json({ result: [] }),
    );
    const client = createClient({ baseUrl: 'http://h/api/', fetch });
    await client.ask(FreeRooms, {});
    expect(sent[0]!.headers['twofold-after']).toBeUndefined();
    await client.send(BookRoom, { roomId: '1' });
    await client.send(BookRoom, { roomId: '2' });
    expect(client.position).toBe(5);
    await client.ask(FreeRooms, {});
    expect(sent[3]!.headers['twofold-after']).toBe('5');
    await client.ask(FreeRooms, {}, { after: 9 as GlobalPosition });
    expect(sent[4]!.headers['twofold-after']).toBe('9');
  });

  it('asks with GET when the parameters are flat, and POSTs JSON when they are not', async () => {
    const { fetch, sent } = fakeFetch(() => json({ result: ['1'] }));
    const client = createClient({ baseUrl: 'http://h', fetch });
    await client.ask(FreeRooms, { ids: ['a', 'b'], max: 3 });
    await client.ask(FreeRooms, { filter: {} });
    await client.ask(FreeRooms, { ids: [] });
    await client.ask(FreeRooms, { ids: ['x'.repeat(3000)] });
    await client.ask(FreeRooms, { max: 1 }, { method: 'POST' });
    expect(sent.map((s) => `${s.method} ${s.url} ${s.body ?? ''}`)).toEqual([
      'GET http://h/queries/hotel.FreeRooms?ids=a&ids=b&max=3 ',
      'POST http://h/queries/hotel.FreeRooms {"filter":{}}',
      'POST http://h/queries/hotel.FreeRooms {"ids":[]}',
      `POST http://h/queries/hotel.FreeRooms {"ids":["${'x'.repeat(3000)}"]}`,
      'POST http://h/queries/hotel.FreeRooms {"max":1}',
    ]);
  });

  it('turns a problem document into a RemoteError with its code and fields', async () => {
    const problem = {
      type: 'urn:twofold:problem:domain-rule',
      title: 'Unprocessable Content',
      status: 422,
      code: 'DOMAIN_RULE',
      detail: 'Room 1 is booked',
      rule: 'ROOM_TAKEN',
      details: { roomId: '1' },
      correlationId: 'c-1',
    };
    const { fetch } = fakeFetch(() =>
      json(problem, { status: 422, headers: { 'content-type': 'application/problem+json; charset=utf-8' } }),
    );
    const error = await createClient({ baseUrl: 'http://h', fetch })
      .send(BookRoom, { roomId: '1' })
      .catch((e: unknown) => e);
    expect(isRemoteError(error, 'DOMAIN_RULE')).toBe(true);
    expect(error).toMatchObject({
      name: 'RemoteError',
      message: 'Room 1 is booked',
      code: 'DOMAIN_RULE',
      status: 422,
      rule: 'ROOM_TAKEN',
      details: { roomId: '1' },
      correlationId: 'c-1',
      issues: [],
      problem,
    });
  });

  it('reports other failures as UNEXPECTED_RESPONSE', async () => {
    const answers = [
      new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
      json({ code: 'SOMETHING_NEW' }, { status: 418 }),
      new Response('not json', { status: 200, headers: { 'content-type': 'application/json' } }),
    ];
    const { fetch } = fakeFetch(() => answers.shift()!);
    const client = createClient({ baseUrl: 'http://h', fetch });
    for (const status of [502, 418, 200]) {
      const error = await client.ask(FreeRooms, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteError);
      expect(error).toMatchObject({ code: 'UNEXPECTED_RESPONSE', status });
    }
  });

  it('parses server-sent events split anywhere, including inside \\r\\n', async () => {
    const text =
      ': hello\r\nevent: result\r\nid: 1\r\ndata: {"result":["a"]}\r\n\r\nevent: result\ndata: {"result":[]}\n\n';
    const chunks = [...text].map((c) => new TextEncoder().encode(c));
    const { fetch } = fakeFetch(
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              const chunk = chunks.shift();
              if (chunk === undefined) controller.close();
              else controller.enqueue(chunk);
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    );
    const seen: unknown[] = [];
    for await (const rooms of createClient({ baseUrl: 'http://h', fetch }).live(FreeRooms, {})) seen.push(rooms);
    expect(seen).toEqual([['a'], []]);
  });

  it('ends a live query with the RemoteError of a problem event', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response(
          'event: result\ndata: {"result":[]}\n\nevent: problem\ndata: {"code":"FORBIDDEN","status":403}\n\n',
          {
            headers: { 'content-type': 'text/event-stream' },
          },
        ),
    );
    const seen: unknown[] = [];
    const run = async () => {
      for await (const rooms of createClient({ baseUrl: 'http://h', fetch }).live(FreeRooms, {})) seen.push(rooms);
    };
    await expect(run()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(seen).toEqual([[]]);
  });

  it('needs a baseUrl', () => {
    expect(() => createClient({} as never)).toThrow(/baseUrl/);
  });
});

describe('the client package', () => {
  it('imports nothing from @twofold/core at run time but the wire contract, which imports nothing itself', () => {
    const sources = (root: string) =>
      readdirSync(root, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((file) => ({ file, source: readFileSync(join(root, file), 'utf8') }));
    const client = sources(join(import.meta.dirname, '..'));
    expect(client.length).toBeGreaterThan(3);
    for (const { file, source } of client) {
      expect(source, file).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+'@twofold\/(?!core\/wire')/m);
      expect(source, file).not.toMatch(/from\s+'node:/);
    }
    const wire = sources(join(import.meta.dirname, '../../../core/src/wire'));
    expect(wire.length).toBeGreaterThan(2);
    for (const { file, source } of wire) {
      expect(source, file).not.toMatch(/^import\s+(?!type\b)/m);
      expect(source, file).not.toMatch(/^export\s+(?!type\b)[^;]*from\s+'(?!\.\/)/m);
    }
  });
});
