import Fastify, { type FastifyInstance } from 'fastify';
import { bearer, type TwofoldHttpOptions, twofoldHttp } from '../../src/index.js';
import { type Hotel, hotel, principals } from '../fixtures/hotel.js';

export interface Setup {
  readonly app: FastifyInstance;
  readonly hotel: Hotel;
  /** Lines the server logged at error level. */
  readonly logs: string[];
}

/** A Fastify app with the plugin under `/api`, over the fixture hotel, with bearer tokens from the fixture. */
export async function setup(options: Partial<TwofoldHttpOptions> = {}): Promise<Setup> {
  const logs: string[] = [];
  const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => logs.push(line) } } });
  const state = hotel();
  await app.register(twofoldHttp, {
    prefix: '/api',
    mediator: state.mediator,
    authenticate: bearer((token) => principals.get(token)),
    ...options,
  });
  await app.ready();
  return { app, hotel: state, logs };
}
