import { type Client, createClient } from '@twofold/client';
import type { FastifyInstance } from 'fastify';
import { type App, type AppOptions, createApp } from '../../src/app/server.js';

/** "Today" in the tests: the seed and every check-in date are relative to it. */
export const TODAY = '2030-03-01';
export const clock = () => Date.parse(`${TODAY}T10:00:00Z`);

/** The hotel in memory, seeded, on a fixed day, with its API answered in-process (no socket). */
export async function startHotel(options: AppOptions = {}): Promise<App> {
  return createApp({ clock, consistencyTimeout: 2000, ...options });
}

/** A typed client whose requests go through `fastify.inject` instead of a socket. */
export function injectClient(server: FastifyInstance): Client {
  return createClient({ baseUrl: 'http://hotel.test/api', fetch: injectFetch(server) });
}

function injectFetch(server: FastifyInstance): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    const response = await server.inject({
      method: request.method as 'GET' | 'POST',
      url: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      ...(body === undefined ? {} : { payload: body }),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    }
    return new Response(response.rawPayload.length === 0 ? null : response.rawPayload, {
      status: response.statusCode,
      headers,
    });
  };
}
