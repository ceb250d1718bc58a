// The OpenAPI document and the docs page the plugin serves, in process (fastify.inject).
import { MemoryCommandQueue } from '@twofold/core';
import { MAX_WAIT_SECONDS } from '@twofold/core/wire';
import { describe, expect, it } from 'vitest';
import { useApp } from './inject.js';

const start = useApp();

/** Every reference points at something the document defines. */
function expectRefsResolve(doc: Record<string, unknown>): void {
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
  for (const ref of refs) {
    const path = ref.slice(8, -1).replace(/^#\//, '').split('/');
    expect(
      path.reduce<any>((node, key) => node?.[key], doc),
      ref,
    ).toBeDefined();
  }
}

describe('OpenAPI and docs', () => {
  it('serves an OpenAPI 3.1 document generated from the schemas', async () => {
    const s = await start({ info: { title: 'Hotel', version: '1.2.3' }, changes: async function* () {} });
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'Hotel', version: '1.2.3' });
    expect(doc.servers).toEqual([{ url: '/api' }]);
    expect(Object.keys(doc.paths)).toContain('/commands/hotel.BookRoom');
    expect(Object.keys(doc.paths)).toContain('/queries/hotel.FreeRooms/live');
    expect(Object.keys(doc.paths)).not.toContain('/queries/hotel.AllRooms/live');
    expect(doc.components.schemas['hotel.BookRoom.Input'].properties.guest.properties.email.format).toBe('email');
    expect(doc.components.schemas['hotel.BookRoom.Input'].required).toEqual(['bookingId', 'roomId', 'nights', 'guest']);
    const get = doc.paths['/queries/hotel.FreeRooms'].get;
    expect(get.parameters.find((p: { name?: string }) => p.name === 'roomIds')).toMatchObject({
      in: 'query',
      style: 'form',
      explode: true,
      schema: { type: 'array', items: { type: 'string' } },
    });
    expect(doc.paths['/commands/hotel.BookRoom'].post.responses['422']).toEqual({
      $ref: '#/components/responses/Problem',
    });
    expect(doc.security).toEqual([{ bearer: [] }, {}]);
    expectRefsResolve(doc);
  });

  it('documents queued commands when the plugin has a queue: Prefer, the 202, the status resource, its 404 and DELETE', async () => {
    const s = await start({ queue: new MemoryCommandQueue() });
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const post = doc.paths['/commands/hotel.BookRoom'].post;
    expect(post.parameters).toContainEqual(expect.objectContaining({ name: 'Prefer', in: 'header' }));
    expect(post.responses['202'].headers).toHaveProperty('Location');
    expect(post.responses['202'].headers).toHaveProperty('Preference-Applied');
    expect(post.responses['202'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/AcceptedCommand',
    });
    const get = doc.paths['/commands/status/{id}'].get;
    expect(get.parameters.map((p: { name?: string; $ref?: string }) => p.name ?? p.$ref)).toEqual([
      'id',
      'Prefer',
      '#/components/parameters/CorrelationId',
    ]);
    expect(get.parameters[1].description).toContain(`at most ${MAX_WAIT_SECONDS}`);
    expect(get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CommandStatus',
    });
    expect(get.responses['404']).toEqual({ $ref: '#/components/responses/Problem' });
    const cancel = doc.paths['/commands/status/{id}'].delete;
    expect(cancel.operationId).toBe('cancelCommand');
    expect(cancel.parameters[0]).toEqual(get.parameters[0]);
    expect(Object.keys(cancel.responses)).toEqual(['200', '400', '401', '404', '409', '500']);
    expect(cancel.description).toContain('409 NOT_CANCELLABLE');
    expect(doc.components.schemas.Problem.properties.code.enum).toContain('NOT_CANCELLABLE');
    expect(doc.components.schemas.CommandStatus.required).toEqual(['id', 'type', 'status', 'attempts']);
    expect(Object.keys(doc.components.schemas.CommandStatus.properties)).toEqual([
      'id',
      'type',
      'status',
      'attempts',
      'result',
      'position',
      'problem',
    ]);
    expectRefsResolve(doc);
  });

  it('documents no queued commands without a queue', async () => {
    const s = await start();
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths)).not.toContain('/commands/status/{id}');
    expect(doc.paths['/commands/hotel.BookRoom'].post.responses).not.toHaveProperty('202');
    expect(doc.components.schemas).not.toHaveProperty('CommandStatus');
  });

  it('serves a self-contained docs page', async () => {
    const s = await start();
    const page = await s.app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('/commands/hotel.BookRoom');
    expect(page.body).toContain('Rooms that nobody has booked');
    expect(page.body).toContain('DOMAIN_RULE');
    expect(page.body).not.toMatch(/<script|<link|src=/);
  });
});
