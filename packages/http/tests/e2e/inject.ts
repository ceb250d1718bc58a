// What the in-process tests (fastify.inject) share: an app closed after each test, a POST, the seed rooms, a
// booking, and the problem document of an answer.
import { afterEach, expect } from 'vitest';
import type { ProblemDetails } from '../../src/index.js';
import { MANAGER } from '../fixtures/hotel.js';
import { type Setup, setup } from './setup.js';

/** Registers closing the app after each test; returns `start`, which makes the app of one test. */
export function useApp(): (options?: Parameters<typeof setup>[0]) => Promise<Setup> {
  let current: Setup | undefined;
  afterEach(async () => {
    await current?.app.close();
    current = undefined;
  });
  return async (options) => {
    current = await setup(options);
    return current;
  };
}

export function post(s: Setup, url: string, payload: unknown, headers: Record<string, string> = {}) {
  return s.app.inject({ method: 'POST', url: `/api${url}`, payload: payload as object, headers });
}

export async function seed(s: Setup): Promise<void> {
  for (const room of [
    { roomId: '101', price: 90, accessible: true },
    { roomId: '102', price: 120 },
    { roomId: '201', price: 200 },
  ]) {
    expect((await post(s, '/commands/hotel.RegisterRoom', room, { authorization: MANAGER })).statusCode).toBe(200);
  }
}

export const booking = (over: Record<string, unknown> = {}) => ({
  bookingId: 'b1',
  roomId: '101',
  nights: 2,
  guest: { name: 'Ada', email: 'ada@example.com' },
  ...over,
});

export function problem(response: { headers: Record<string, unknown>; json(): unknown }): ProblemDetails {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  return response.json() as ProblemDetails;
}
