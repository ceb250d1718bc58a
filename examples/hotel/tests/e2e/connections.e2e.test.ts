// The hotel's connection limits over real sockets, with the timeouts kept short through its `limits` option:
// a header too large, a slow-loris client, an idle connection and one connection too many.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { InvalidArgumentError } from '@twofold/core';
import type { ServerLimits } from '@twofold/http';
import { afterEach, describe, expect, it } from 'vitest';
import { limitsFromEnv } from '../../src/app/limits.js';
import type { App } from '../../src/app/server.js';
import { startHotel } from './setup.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function listen(limits: ServerLimits): Promise<{ app: App; port: number }> {
  const app = await startHotel({ limits });
  apps.push(app);
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.server.address() as { port: number }).port };
}

const FREE_ROOMS = '/api/queries/hotel.FreeRooms?from=2030-05-01&to=2030-05-03';
const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: hotel\r\n${extra}\r\n`;

/** A connection that records what the server sends, and whether it ended cleanly or was reset. */
async function open(port: number) {
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  let text = '';
  let error: string | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code;
  });
  const closed = once(socket, 'close').then(() => error ?? 'clean');
  await once(socket, 'connect');
  const answer = async () => {
    while (!/\r\n\r\n/.test(text) && !socket.destroyed) await once(socket, 'data');
    const head = text.split('\r\n\r\n')[0] ?? '';
    return { status: Number(head.split(' ')[1]), head: head.toLowerCase() };
  };
  return { socket, closed, answer, received: () => text };
}

describe('the hotel under hostile connections', () => {
  it('answers a header too large with 431 and Connection: close, closes cleanly, and serves the next client', async () => {
    const { port } = await listen({});
    const connection = await open(port);
    connection.socket.write(get(FREE_ROOMS, `X-Junk: ${'j'.repeat(20_000)}\r\n`));
    const answer = await connection.answer();
    expect(answer.status).toBe(431);
    expect(answer.head).toContain('connection: close');
    expect(await connection.closed).toBe('clean');
    expect((await fetch(`http://127.0.0.1:${port}${FREE_ROOMS}`)).status).toBe(200);
  });

  it('cuts off a slow-loris client at headersTimeout and closes an idle connection', async () => {
    const { port } = await listen({ headersTimeout: 300 });
    const idle = await open(port);
    const loris = await open(port);
    loris.socket.write(`GET ${FREE_ROOMS} HTTP/1.1\r\nHost: hotel\r\n`);
    const trickle = setInterval(() => {
      if (loris.socket.writable) loris.socket.write('X-Slow: a\r\n');
    }, 25);
    try {
      expect(await loris.closed).toBe('clean');
    } finally {
      clearInterval(trickle);
    }
    expect((await loris.answer()).status).toBe(408);
    expect(await idle.closed).toBe('clean');
  });

  it('closes a connection over maxConnections at once and goes on serving the ones it holds', async () => {
    const { app, port } = await listen({ maxConnections: 2 });
    const held = [await open(port), await open(port)];
    const dropped = once(app.server.server, 'drop');
    const surplus = await open(port);
    await dropped;
    await surplus.closed;
    expect(surplus.received()).toBe('');
    for (const connection of held) {
      connection.socket.write(get(FREE_ROOMS, 'Connection: close\r\n'));
      expect((await connection.answer()).status).toBe(200);
      await connection.closed;
    }
  });

  it('takes its limits from the environment, and refuses one that is not a whole number before opening a store', async () => {
    expect(limitsFromEnv({ MAX_CONNECTIONS: ' 500 ', KEEP_ALIVE_TIMEOUT_MS: '65000', HEADERS_TIMEOUT_MS: '' })).toEqual(
      {
        maxConnections: 500,
        keepAliveTimeout: 65_000,
      },
    );
    await expect(startHotel({ limits: limitsFromEnv({ MAX_CONNECTIONS: 'many' }) })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(startHotel({ limits: limitsFromEnv({ REQUEST_TIMEOUT_MS: '-1' }) })).rejects.toThrow(
      /requestTimeout must be a whole number > 0/,
    );
  });
});
