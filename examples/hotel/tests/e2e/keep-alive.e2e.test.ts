// Keep-alive clients against the hotel's server, at the moment it closes an idle connection: the server announces
// how long it keeps one (`Keep-Alive: timeout=3` here) and closes it a second after that. A request sent on the
// connection just then is reset, so a client must give up an idle connection before; the reliability bench's
// client and the typed client (fetch) do.
import type { Server } from 'node:http';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { createClient } from '@twofold/client';
import { afterEach, describe, expect, it } from 'vitest';
import { keepAlive, send } from '../../../../bench/reliability/http.js';
import type { App } from '../../src/app/server.js';
import { FreeRooms } from '../../src/messages/queries.js';
import { startHotel } from './setup.js';

const apps: App[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

const FREE_ROOMS = '/api/queries/hotel.FreeRooms?from=2030-05-01&to=2030-05-03';

async function listen(): Promise<{ server: Server; api: string }> {
  const app = await startHotel({ limits: { keepAliveTimeout: 3_000 } });
  apps.push(app);
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.server.address() as { port: number };
  return { server: app.server.server, api: `http://127.0.0.1:${port}` };
}

interface Second<T> {
  /** Who ended the first request's connection: the server at the end of its keep-alive, or the client before. */
  readonly ended: 'server' | 'client';
  /** The second request's answer, or the message of its error. */
  readonly settled: T | string;
}

/**
 * Sends `first`, then `second` at the moment the server's keep-alive for the connection `first` used runs out, or
 * as soon as the client closes that connection if it does so first.
 */
async function atKeepAliveEnd<T>(
  server: Server,
  first: () => Promise<unknown>,
  second: () => Promise<T>,
): Promise<Second<T>> {
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await first();
  const socket = await connected;
  const { ended, answer } = await new Promise<{ ended: Second<T>['ended']; answer: Promise<T> }>((resolve) => {
    const closed = () => {
      server.off('timeout', timedOut);
      resolve({ ended: 'client', answer: second() });
    };
    // With a listener of its own on the server, Node leaves closing the timed-out socket to it. It is closed once
    // the request sent at this moment is on its way and before the server reads it, as by a server busy when its
    // keep-alive timer fires: the request then meets a closed connection and is never answered.
    const timedOut = (timed: Socket) => {
      socket.off('close', closed);
      const answer = second();
      process.nextTick(() => timed.destroy());
      resolve({ ended: 'server', answer });
    };
    server.once('timeout', timedOut);
    socket.once('close', closed);
  });
  return { ended, settled: await answer.catch((error: Error) => error.message) };
}

describe('a keep-alive client reusing a connection as the server closes it', () => {
  it('is reset when it is a Node agent with no timeout of its own, which ignores the announced timeout', async () => {
    const { server, api } = await listen();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const get = () => send(agent, { method: 'GET', url: `${api}${FREE_ROOMS}` });
    let announced: string | string[] | undefined;
    const first = async () => {
      announced = (await get()).headers['keep-alive'];
    };
    const { ended, settled } = await atKeepAliveEnd(server, first, get);
    expect(announced).toBe('timeout=3, max=1000');
    expect(ended).toBe('server');
    // A reset before the server read the request, or its close (FIN) seen first: the request got no answer.
    expect(settled).toMatch(/: (read ECONNRESET|socket hang up)$/);
  });

  it("gets its answer with the reliability bench's client, which closes an idle connection first", async () => {
    const { server, api } = await listen();
    const agent = keepAlive(1);
    agents.push(agent);
    const get = () => send(agent, { method: 'GET', url: `${api}${FREE_ROOMS}` });
    const { ended, settled } = await atKeepAliveEnd(server, get, get);
    expect({ ended, status: typeof settled === 'string' ? settled : settled.status }).toEqual({
      ended: 'client',
      status: 200,
    });
  });

  it('gets its answer with the typed client, whose fetch closes an idle connection first', async () => {
    const { server, api } = await listen();
    const client = createClient({ baseUrl: `${api}/api` });
    const ask = () => client.ask(FreeRooms, { from: '2030-05-01', to: '2030-05-03' });
    const { ended, settled } = await atKeepAliveEnd(server, ask, ask);
    expect({ ended, settled }).toEqual({ ended: 'client', settled: await ask() });
  });
});
