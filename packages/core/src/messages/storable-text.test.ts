import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../errors/errors.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent, defineQuery } from './define.js';
import { unstorableStrings, unstorableText } from './storable-text.js';

const NUL = '\u0000';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';

describe('unstorableText', () => {
  it('refuses NUL and lone surrogates, and passes any other text, paired surrogates included', () => {
    expect(unstorableText(`ada${NUL}`)).toMatch(/U\+0000/);
    expect(unstorableText(`${LONE_HIGH}x`)).toMatch(/lone surrogate/);
    expect(unstorableText(`x${LONE_LOW}`)).toMatch(/lone surrogate/);
    expect(unstorableText(`${LONE_LOW}${LONE_HIGH}`)).toMatch(/lone surrogate/);
    expect(unstorableText(LONE_HIGH)).toMatch(/lone surrogate/);
    for (const fine of ['', 'Ada Lovelace', 'Zoë 🏨', '\ud83c\udfe8', '\u0001\u007f\ufffd']) {
      expect(unstorableText(fine)).toBeUndefined();
    }
  });
});

describe('unstorableStrings', () => {
  it('names the path of each bad string, in nested objects, arrays and property names', () => {
    const issues = unstorableStrings({
      guestId: `g${NUL}`,
      stay: { nights: [{ note: LONE_HIGH }], fine: 'ok' },
      [`k${NUL}`]: 1,
    });
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([['guestId'], ['stay', 'nights', 0, 'note'], [`k${NUL}`]]),
    );
    expect(issues).toHaveLength(3);
    expect(issues.find((i) => i.path[0] === `k${NUL}`)?.message).toMatch(/^property name contains U\+0000/);
  });

  it('walks any depth without recursion, ends on cycles, and reports at most ten issues', () => {
    let deep: Record<string, unknown> = { leaf: NUL };
    for (let i = 0; i < 20_000; i++) deep = { d: deep };
    expect(unstorableStrings(deep)).toHaveLength(1);
    const cyclic: Record<string, unknown> = { name: LONE_LOW };
    cyclic.self = cyclic;
    expect(unstorableStrings(cyclic)).toEqual([{ path: ['name'], message: expect.stringMatching(/lone/) }]);
    expect(unstorableStrings(Array.from({ length: 50 }, () => NUL))).toHaveLength(10);
    expect(unstorableStrings({ at: new Date(0), n: 1, b: null })).toEqual([]);
  });
});

describe('the rule that every payload is storable text', () => {
  const BookRoom = defineCommand(
    'hotel.BookRoom',
    z.object({ guestId: z.string(), extras: z.record(z.string(), z.string()) }),
  );
  const Bookings = defineQuery('hotel.Bookings', z.object({ guestId: z.string() }), z.array(z.string()));
  const Noted = defineEvent('hotel.Noted', z.object({ note: z.string() }));

  it('refuses a command, a query and an event carrying NUL or a lone surrogate, before any handler runs', async () => {
    let ran = 0;
    const mediator = createMediator()
      .command(BookRoom, () => {
        ran++;
      })
      .query(Bookings, () => {
        ran++;
        return [];
      })
      .on(Noted, () => {
        ran++;
      });
    const refused = await mediator
      .send(BookRoom, { guestId: `ada${NUL}`, extras: { [`x${LONE_HIGH}`]: 'y' } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({
      code: 'VALIDATION_FAILED',
      messageType: 'hotel.BookRoom',
      issues: expect.arrayContaining([
        { path: ['guestId'], message: expect.stringMatching(/U\+0000/) },
        { path: ['extras', `x${LONE_HIGH}`], message: expect.stringMatching(/^property name contains a lone/) },
      ]),
    });
    await expect(mediator.ask(Bookings, { guestId: LONE_LOW })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: ['guestId'] }],
    });
    await expect(mediator.publish(Noted, { note: NUL })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(ran).toBe(0);
    await mediator.send(BookRoom, { guestId: 'Zoë 🏨', extras: {} });
    expect(ran).toBe(1);
  });

  it('holds for schemas that validate asynchronously too', async () => {
    const Async = defineCommand(
      'x.Async',
      z.object({ name: z.string() }).refine(async () => true),
    );
    const mediator = createMediator().command(Async, () => undefined);
    await expect(mediator.send(Async, { name: NUL })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('keeps an event store from being handed such an event, committing nothing', async () => {
    const store = new MemoryStore();
    const stream = streamId('note', '1');
    const refused = await store
      .append(stream, [
        { type: 'hotel.Noted', data: { note: 'fine' } },
        { type: 'hotel.Noted', data: { note: NUL } },
      ])
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues).toEqual([
      { path: ['data', 'note'], message: expect.stringMatching(/U\+0000/) },
    ]);
    await expect(
      store.append(stream, [{ type: 'hotel.Noted', data: {}, metadata: { principal: LONE_HIGH } }]),
    ).rejects.toMatchObject({ issues: [{ path: ['metadata', 'principal'] }] });
    expect(await store.streamVersion(stream)).toBe(0);
    expect(await store.head()).toBe(0);
  });
});
