// A client that goes away: the query it was waiting for is cancelled, over a connection that first served others.
import { Agent, request } from 'node:http';
import { createMediator, defineQuery } from '@twofold/core';
import Fastify from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { twofoldHttp } from '../../src/index.js';

const Echo = defineQuery('test.Echo', z.object({ word: z.string() }), z.string());
const Hang = defineQuery('test.Hang', z.object({}), z.null());

const app = Fastify();
const hanging: { signal: AbortSignal | undefined; started: () => void } = { signal: undefined, started: () => {} };
let port = 0;

beforeAll(async () => {
  const mediator = createMediator()
    .query(Echo, ({ word }) => word)
    .query(Hang, (_params, ctx) => {
      hanging.signal = ctx.signal;
      hanging.started();
      return new Promise<null>((_resolve, reject) => {
        ctx.signal?.addEventListener('abort', () => reject(ctx.signal?.reason), { once: true });
      });
    });
  await app.register(twofoldHttp, { prefix: '/api', mediator });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(() => app.close());

function get(agent: Agent, path: string) {
  const req = request({ host: '127.0.0.1', port, path: `/api/queries/${path}`, agent });
  const body = new Promise<string>((resolve, reject) => {
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
  req.end();
  return { req, body };
}

it('cancels a query when its client closes the connection, after the connection served others', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  expect(await get(agent, 'test.Echo?word=one').body).toBe('{"result":"one"}');
  expect(await get(agent, 'test.Echo?word=two').body).toBe('{"result":"two"}');
  const started = new Promise<void>((resolve) => {
    hanging.started = resolve;
  });
  const hang = get(agent, 'test.Hang');
  hang.body.catch(() => undefined);
  await started;
  expect(hanging.signal?.aborted).toBe(false);
  const aborted = new Promise<void>((resolve) => hanging.signal?.addEventListener('abort', () => resolve()));
  hang.req.destroy();
  await aborted;
  expect(hanging.signal?.aborted).toBe(true);
  agent.destroy();
});

it('keeps answering on a new connection once another closed', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  expect(await get(agent, 'test.Echo?word=three').body).toBe('{"result":"three"}');
  agent.destroy();
});
