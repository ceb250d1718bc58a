import { type Client, createClient } from '@twofold/client';
import type { Principal } from '@twofold/core';
import type { FastifyInstance } from 'fastify';
import { vi } from 'vitest';
import { type App, type AppOptions, createApp } from '../../src/app/server.js';
import { CancellationProgress, type CancellationView } from '../../src/cancellation/queries.js';
import type { Role } from '../../src/identity/roles.js';

/** "Today" in the tests: the seed and every check-in date are relative to it. */
export const TODAY = '2030-03-01';
export const clock = () => Date.parse(`${TODAY}T10:00:00Z`);

/** The hotel in memory, seeded, on a fixed day, with its API answered in-process (no socket). */
export async function startHotel(options: AppOptions = {}): Promise<App> {
  return createApp({ clock, consistencyTimeout: 2000, ...options });
}

/**
 * Signs in through the hotel's demo sign-in (`POST /api/session`, in-process) and returns the bearer token.
 * With a base URL instead of an app, it signs in over the network.
 *
 * @example
 * const token = await signIn(app, 'ada', 'guest');
 * await app.server.inject({ url: '/api/queries/hotel.GuestBookings?guestId=ada', headers: bearer(token) });
 */
export async function signIn(app: App | string, user: string, role: Role): Promise<string> {
  const body = { user, role };
  const answer =
    typeof app === 'string'
      ? await fetch(`${app}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (response) => ({ status: response.status, json: (await response.json()) as unknown }))
      : await app.server
          .inject({ method: 'POST', url: '/api/session', payload: body })
          .then((response) => ({ status: response.statusCode, json: response.json() as unknown }));
  const token = (answer.json as { token?: unknown }).token;
  if (answer.status !== 200 || typeof token !== 'string') {
    throw new Error(`sign-in as ${user} (${role}) answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  }
  return token;
}

/** The Authorization header of a token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Dispatch options that make an in-process call (`mediator.send`/`ask`) as `user` in `role`. */
export const as = (user: string, role: Role): { readonly principal: Principal } => ({
  principal: { id: user, roles: [role] },
});

/** A typed client whose requests go through `fastify.inject` instead of a socket; signed in when given a token. */
export function injectClient(server: FastifyInstance, token?: string): Client {
  return createClient({
    baseUrl: 'http://hotel.test/api',
    fetch: injectFetch(server),
    ...(token === undefined ? {} : { headers: bearer(token) }),
  });
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

/**
 * Waits until the cancellation of `bookingId` has completed (refund done, mail sent, alert sent), asking
 * `hotel.CancellationProgress` through a client signed in as staff, or in-process as a manager, and returns its
 * progress. In-process it asks again on each commit to the hotel's log, as of that commit; over HTTP, which tells
 * no one when a cancellation moves on, it asks every 20 ms. Fails after `timeoutMs` with the last progress seen.
 */
export async function cancellationCompleted(
  via: Client | App,
  bookingId: string,
  timeoutMs = 15_000,
): Promise<CancellationView> {
  let progress: CancellationView | null = null;
  const late = () =>
    new Error(`The cancellation of ${bookingId} did not complete in ${timeoutMs} ms: ${JSON.stringify(progress)}`);
  if ('hotel' in via) {
    const log = via.stores.writes;
    const signal = AbortSignal.timeout(timeoutMs);
    for (;;) {
      const head = await log.head();
      const options = { ...as('test-manager', 'manager'), after: head };
      progress = await via.hotel.mediator.ask(CancellationProgress, { bookingId }, options);
      if (progress?.completed) return progress;
      await log.waitForEvents(head, signal).catch(() => {
        throw late();
      });
    }
  }
  const asked = async () => {
    progress = await via.ask(CancellationProgress, { bookingId });
    return progress?.completed ? progress : false;
  };
  return vi.waitUntil(asked, { timeout: timeoutMs, interval: 20 }).catch(() => {
    throw late();
  });
}
