// The server's connection limits over real sockets: errors found before routing close the connection
// cleanly, and idle, slow or surplus connections are cut off. Timeouts are kept short through serverOptions().
import { once } from 'node:events';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, type ServerLimits, serverOptions, twofoldHttp } from '../../src/index.js';
import { hotel, principals } from '../fixtures/hotel.js';
import { parseResponse, rawConnection } from './raw-socket.js';

const servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(limits: ServerLimits = {}): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify(serverOptions(limits));
  servers.push(app);
  await app.register(twofoldHttp, {
    prefix: '/api',
    mediator: hotel().mediator,
    authenticate: bearer((token) => principals.get(token)),
  });
  app.get('/ping', async () => 'pong');
  app.get('/rooms/:id', async (request) => request.params);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as { port: number }).port };
}

const PING = 'GET /ping HTTP/1.1\r\nHost: test\r\n\r\n';

describe('errors answered before routing', () => {
  it('answers headers too large with 431 and Connection: close, and ends the socket without a reset', async () => {
    const { port } = await serve();
    const connection = await rawConnection(port);
    connection.socket.write(PING);
    await connection.responses(1);
    connection.socket.write(`GET /ping HTTP/1.1\r\nHost: test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const [first = '', second = ''] = await connection.responses(2);
    expect(parseResponse(first).status).toBe(200);
    const answer = parseResponse(second);
    expect(answer.status).toBe(431);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    expect(await connection.closed).toEqual({ reset: false });

    const next = await fetch(`http://127.0.0.1:${port}/ping`);
    expect(await next.text()).toBe('pong');
  });

  it('answers a HEAD request with headers too large with 431 and no body, which a client would take as garbage', async () => {
    const { port } = await serve();
    const connection = await rawConnection(port);
    connection.socket.write(`HEAD /ping HTTP/1.1\r\nHost: test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const [raw = ''] = await connection.responses(1);
    const answer = parseResponse(raw);
    expect(answer.status).toBe(431);
    expect(answer.headers.connection).toBe('close');
    expect(await connection.closed).toEqual({ reset: false });
    expect(connection.received().endsWith('\r\n\r\n')).toBe(true);
  });

  it('answers a request line that is not HTTP with 400 and Connection: close', async () => {
    const { port } = await serve();
    const connection = await rawConnection(port);
    connection.socket.write(`NOT HTTP AT ALL\r\n\r\n${PING}`);
    const [raw = ''] = await connection.responses(1);
    const answer = parseResponse(raw);
    expect(answer.status).toBe(400);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'MALFORMED_REQUEST' });
    expect(await connection.closed).toEqual({ reset: false });
    expect((await connection.responses(2)).length).toBe(1);
  });

  it('answers a request pipelined before bad bytes, with Connection: close, and drops the rest', async () => {
    const { port } = await serve();
    const connection = await rawConnection(port);
    connection.socket.on('error', () => {});
    connection.socket.write(`${PING}NOT HTTP AT ALL\r\n\r\n`);
    await connection.closed;
    const [raw = '', ...more] = await connection.responses(1);
    expect(parseResponse(raw)).toMatchObject({ status: 200, body: 'pong', headers: { connection: 'close' } });
    expect(more).toEqual([]);
  });

  it('answers a body over the limit with 413 and Connection: close', async () => {
    const { port } = await serve();
    const connection = await rawConnection(port);
    connection.socket.on('error', () => {});
    connection.socket.write(
      'POST /api/commands/hotel.RegisterRoom HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${2 * 1024 * 1024}\r\n\r\n{"roomId":`,
    );
    const [raw = ''] = await connection.responses(1);
    const answer = parseResponse(raw);
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    await connection.closed;
  });
});

describe("the router's refusals", () => {
  it('answers a path that is not valid percent-encoding with 400 MALFORMED_REQUEST as a problem document', async () => {
    const { port } = await serve();
    for (const path of ['/rooms/%zz', '/api/commands/status/%E0%A4%A', '/nowhere%']) {
      const answer = await fetch(`http://127.0.0.1:${port}${path}`);
      expect(answer.status, path).toBe(400);
      expect(answer.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
      expect(await answer.json(), path).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST', instance: path });
    }
  });

  it('answers a path parameter longer than maxParamLength with 414 URI_TOO_LONG as a problem document', async () => {
    const { port } = await serve();
    const answer = await fetch(`http://127.0.0.1:${port}/rooms/${'x'.repeat(101)}?at=1`);
    expect(answer.status).toBe(414);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await answer.json()).toMatchObject({ status: 414, title: 'URI Too Long', code: 'URI_TOO_LONG' });
    const fits = await fetch(`http://127.0.0.1:${port}/rooms/${'x'.repeat(100)}`);
    expect(await fits.json()).toEqual({ id: 'x'.repeat(100) });
  });
});

describe('connection limits', () => {
  it('closes a connection that sends nothing once headersTimeout has passed', async () => {
    const { port } = await serve({ headersTimeout: 200 });
    const connection = await rawConnection(port);
    expect(await connection.closed).toEqual({ reset: false });
    expect(parseResponse(connection.received())).toMatchObject({ status: 408, headers: { connection: 'close' } });
  });

  it('cuts off a body trickled past requestTimeout with a 408', async () => {
    const { port } = await serve({ headersTimeout: 200, requestTimeout: 400 });
    const connection = await rawConnection(port);
    connection.socket.on('error', () => {});
    connection.socket.write(
      'POST /api/commands/hotel.RegisterRoom HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"roomId":"',
    );
    const trickle = setInterval(() => {
      if (connection.socket.writable) connection.socket.write('a');
    }, 25);
    try {
      await connection.closed;
    } finally {
      clearInterval(trickle);
    }
    expect(parseResponse(connection.received())).toMatchObject({ status: 408, headers: { connection: 'close' } });
  });

  it('answers the last of maxRequestsPerSocket requests with Connection: close, then closes', async () => {
    const { port } = await serve({ maxRequestsPerSocket: 2, keepAliveTimeout: 100 });
    const connection = await rawConnection(port);
    connection.socket.write(PING);
    await connection.responses(1);
    connection.socket.write(PING);
    const [first = '', second = ''] = await connection.responses(2);
    expect(parseResponse(first).headers.connection).toBe('keep-alive');
    expect(parseResponse(second)).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(await connection.closed).toEqual({ reset: false });
  });

  it('closes a socket with no traffic for connectionTimeout, even while its request runs', async () => {
    const { port } = await serve({ connectionTimeout: 300 });
    const connection = await rawConnection(port);
    connection.socket.on('error', () => {});
    const body = JSON.stringify({ ms: 5_000 });
    connection.socket.write(
      'POST /api/commands/test.Slow HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n' +
        `Authorization: Bearer manager-token\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    await connection.closed;
    expect(connection.received()).toBe('');
  });

  it('closes a keep-alive connection left idle after an answer once keepAliveTimeout has passed', async () => {
    const { port } = await serve({ keepAliveTimeout: 200 });
    const connection = await rawConnection(port);
    connection.socket.write(PING);
    const [raw = ''] = await connection.responses(1);
    expect(parseResponse(raw).headers.connection).toBe('keep-alive');
    expect(await connection.closed).toEqual({ reset: false });
  });

  it('cuts off a slow-loris client trickling its headers at headersTimeout, with a 408', async () => {
    const { port } = await serve({ headersTimeout: 300 });
    const connection = await rawConnection(port);
    connection.socket.on('error', () => {});
    connection.socket.write('GET /ping HTTP/1.1\r\nHost: test\r\n');
    let lines = 0;
    const trickle = setInterval(() => {
      if (connection.socket.writable) connection.socket.write(`X-Line-${lines++}: a\r\n`);
    }, 25);
    try {
      await connection.closed;
    } finally {
      clearInterval(trickle);
    }
    const answer = parseResponse(connection.received());
    expect(answer.status).toBe(408);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'REQUEST_TIMEOUT' });
    expect(lines).toBeGreaterThan(0);
  });

  it('closes connections over maxConnections at once, and serves the ones it holds', async () => {
    const { app, port } = await serve({ maxConnections: 2 });
    const held = [await rawConnection(port), await rawConnection(port)];
    const dropped = once(app.server, 'drop');
    const surplus = await rawConnection(port);
    await dropped;
    await surplus.closed;
    expect(surplus.received()).toBe('');
    for (const connection of held) {
      connection.socket.write(PING);
      const [raw = ''] = await connection.responses(1);
      expect(parseResponse(raw)).toMatchObject({ status: 200, body: 'pong' });
      connection.socket.end();
      await connection.closed;
    }
  });

  it('refuses limits that are not whole positive numbers', () => {
    expect(() => serverOptions({ maxConnections: 0 })).toThrow(/maxConnections must be a whole number > 0/);
    expect(() => serverOptions({ headersTimeout: 1.5 })).toThrow(/headersTimeout/);
    expect(() => serverOptions({ headersTimeout: 2_000, requestTimeout: 1_000 })).toThrow(/requestTimeout/);
  });
});
