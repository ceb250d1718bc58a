import { type } from 'arktype';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isTwofoldError, ValidationError } from '../errors/errors.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent, defineQuery, defineStreamQuery } from './define.js';

async function validationError(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('define* with each Standard Schema library', () => {
  const libraries = {
    zod: {
      payload: z.object({ roomId: z.string(), guest: z.object({ nights: z.number().int().positive() }) }),
      result: z.object({ bookingId: z.string() }),
    },
    valibot: {
      payload: v.object({
        roomId: v.string(),
        guest: v.object({ nights: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
      }),
      result: v.object({ bookingId: v.string() }),
    },
    arktype: {
      payload: type({ roomId: 'string', guest: { nights: 'number.integer > 0' } }),
      result: type({ bookingId: 'string' }),
    },
  };

  for (const [name, schemas] of Object.entries(libraries)) {
    it(`${name}: validates payloads, passes the output to the handler, and reports issue paths`, async () => {
      const BookRoom = defineCommand(`${name}.BookRoom`, schemas.payload, { result: schemas.result });
      const seen: unknown[] = [];
      const mediator = createMediator().command(BookRoom, (data) => {
        seen.push(data);
        return { bookingId: `b-${data.roomId}` };
      });

      await expect(mediator.send(BookRoom, { roomId: '101', guest: { nights: 2 } })).resolves.toEqual({
        bookingId: 'b-101',
      });
      expect(seen).toEqual([{ roomId: '101', guest: { nights: 2 } }]);

      const error = await validationError(mediator.send(BookRoom, { roomId: '101', guest: { nights: 0 } }));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]?.path).toEqual(['guest', 'nights']);
      expect(error.issues[0]?.message.length).toBeGreaterThan(0);
      expect(error.message).toContain('guest.nights');
      expect(seen).toHaveLength(1);
    });
  }

  it('lists every issue of an invalid payload', async () => {
    const Register = defineCommand('hotel.RegisterRoom', z.object({ number: z.string(), price: z.number() }));
    const mediator = createMediator().command(Register, () => {});
    const error = await validationError(mediator.send(Register, { number: 7, price: 'x' } as never));
    expect(error.issues.map((i) => i.path)).toEqual([['number'], ['price']]);
  });

  it('awaits asynchronous schemas', async () => {
    const taken = new Set(['alice']);
    const SignUp = defineCommand(
      'users.SignUp',
      z.object({ name: z.string() }).refine(async ({ name }) => !taken.has(name), { message: 'taken', path: ['name'] }),
    );
    const mediator = createMediator().command(SignUp, () => {});
    await expect(mediator.send(SignUp, { name: 'bob' })).resolves.toBeUndefined();
    const error = await validationError(mediator.send(SignUp, { name: 'alice' }));
    expect(error.issues).toEqual([{ path: ['name'], message: 'taken' }]);
  });

  it('applies schema transforms before the handler sees the data', async () => {
    const Search = defineQuery('hotel.Search', z.object({ nights: z.coerce.number() }), z.number());
    const mediator = createMediator().query(Search, ({ nights }) => nights * 2);
    await expect(mediator.ask(Search, { nights: '3' })).resolves.toBe(6);
  });
});

describe('define* bad input', () => {
  const schema = z.object({});
  it.each([
    ['an empty type name', () => defineCommand('', schema), 'non-empty string'],
    ['a non-string type name', () => defineEvent(42 as never, schema), 'non-empty string'],
    ['a type name with spaces', () => defineQuery('book room', schema, schema), "'book room'"],
    ['a schema that is not Standard Schema', () => defineCommand('a.B', { parse() {} } as never), 'Standard Schema'],
    ['a missing schema', () => defineEvent('a.B', undefined as never), 'Standard Schema'],
    ['a query without a result schema', () => defineQuery('a.B', schema, undefined as never), 'result schema'],
    ['a bad command result schema', () => defineCommand('a.B', schema, { result: 'x' as never }), 'result schema'],
    ['a bad stream item schema', () => defineStreamQuery('a.B', schema, null as never), 'item schema'],
    ['bad tags', () => defineCommand('a.B', schema, { tags: [''] }), 'tags'],
  ])('rejects %s with a message that says what is wrong', (_, make, text) => {
    let thrown: unknown;
    try {
      make();
    } catch (error) {
      thrown = error;
    }
    expect(isTwofoldError(thrown, 'INVALID_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toContain(text);
  });

  it('produces frozen definitions that carry kind, type, tags and schemas', () => {
    const Booked = defineEvent('hotel.RoomBooked', schema, { tags: ['booking'], description: 'A room was booked' });
    expect(Booked).toMatchObject({ kind: 'event', type: 'hotel.RoomBooked', tags: ['booking'] });
    expect(Object.isFrozen(Booked)).toBe(true);
    const Free = defineStreamQuery('hotel.Free', schema, z.string());
    expect(Free.streaming).toBe(true);
    expect(defineQuery('hotel.One', schema, z.string()).streaming).toBe(false);
  });
});
