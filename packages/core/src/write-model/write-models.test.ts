import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  BookRoom,
  booking,
  CancelBooking,
  GuestRegistered,
  hotel,
  RegisterGuest,
  RoomBooked,
} from '../../tests/fixtures/hotel-write-models.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent } from '../messages/define.js';
import type { StandardSchemaV1 } from '../messages/schema.js';
import { defineDecider, defineStateModel } from './models.js';
import { writeModels } from './write-models.js';

describe('both write models', () => {
  it('publish their committed events on the event bus, caused by the command', async () => {
    const { mediator } = hotel();
    const seen: { type: string; causationId: string | undefined }[] = [];
    mediator
      .on(RoomBooked, (_, { envelope }) => void seen.push({ type: envelope.type, causationId: envelope.causationId }))
      .on(
        GuestRegistered,
        (_, { envelope }) => void seen.push({ type: envelope.type, causationId: envelope.causationId }),
      );
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 }, { messageId: 'book-1' });
    await mediator.send(RegisterGuest, { guestId: 'g1', name: 'Ada' }, { messageId: 'guest-1' });
    expect(seen).toEqual([
      { type: 'hotel.RoomBooked', causationId: 'book-1' },
      { type: 'hotel.GuestRegistered', causationId: 'guest-1' },
    ]);
  });
});

describe('publishing committed events', () => {
  let validations = 0;
  const counted = z.object({ id: z.string() });
  const countedSchema: StandardSchemaV1<{ id: string }> = {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value: unknown) => {
        validations++;
        return counted['~standard'].validate(value) as { value: { id: string } };
      },
    },
  };
  const Noted = defineEvent('test.Noted', countedSchema);
  const Note = defineCommand('test.Note', z.object({ id: z.string() }));
  const notes = defineStateModel({
    name: 'note',
    commands: [Note],
    events: [Noted],
    initialState: () => null,
    decide: (command) => ({ state: {}, events: [{ type: 'test.Noted' as const, data: command.data }] }),
  });
  const noting = () => {
    const models = writeModels({ store: new MemoryStore() });
    return createMediator().command(Note, models.stateStored(notes, { id: ({ data }) => data.id }));
  };

  it('skips an event nobody listens to: it is validated once, before the commit, and not again', async () => {
    const mediator = noting();
    validations = 0;
    await mediator.send(Note, { id: 'n1' });
    expect(validations).toBe(1);
  });

  it('still publishes to a middleware whose scope takes the event, with no handler, or to a handler', async () => {
    const seen: string[] = [];
    const scoped = noting().use({ kind: 'event' }, (ctx, next) => {
      seen.push(`middleware ${ctx.type}`);
      return next();
    });
    await scoped.send(Note, { id: 'n1' });
    const handled = noting().on(Noted, ({ id }) => void seen.push(`handler ${id}`));
    validations = 0;
    await handled.send(Note, { id: 'n2' });
    expect(validations).toBe(2);
    const other = noting().use({ kind: 'query' }, (_ctx, next) => {
      seen.push('query middleware');
      return next();
    });
    await other.send(Note, { id: 'n3' });
    expect(seen).toEqual(['middleware test.Noted', 'handler n2']);
  });
});

describe('write models: types and arguments', () => {
  it('types handlers so that a command with a result needs a result function', () => {
    const store = new MemoryStore();
    const models = writeModels({ store });
    const stream = ({ data }: { data: { bookingId: string } }) => streamId('booking', data.bookingId);
    const mediator = createMediator();
    // @ts-expect-error BookRoom declares a result: the handler must produce it
    mediator.command(BookRoom, models.eventSourced(booking, { stream }));
    mediator.command(CancelBooking, models.eventSourced(booking, { stream }));
    expectTypeOf(models.eventSourced(booking, { stream, result: () => 1 })).returns.resolves.toEqualTypeOf<number>();
  });

  it('checks its arguments', async () => {
    expect(() => writeModels({ store: {} as never })).toThrow(/options.store must be a write store/);
    const models = writeModels({ store: new MemoryStore() });
    expect(() => models.eventSourced(booking, {} as never)).toThrow(/options.stream must be a function/);
    expect(() => models.eventSourced(booking, { stream: () => streamId('x'), snapshotEvery: 0 })).toThrow(
      /snapshotEvery/,
    );
    expect(() =>
      defineDecider({
        name: 'x',
        commands: [RoomBooked as never],
        events: [],
        initialState: () => 0,
        evolve: () => 0,
        decide: () => [],
      }),
    ).toThrow(/commands must be an array of command definitions/);
    const Other = defineCommand('hotel.Other', z.object({ bookingId: z.string() }));
    const mediator = createMediator().command(
      Other,
      models.eventSourced(booking, { stream: () => streamId('x') }) as never,
    );
    await expect(mediator.send(Other, { bookingId: 'b' })).rejects.toThrow("'booking' does not handle 'hotel.Other'");
    expect(() => streamId('')).toThrow(/non-empty/);
  });
});
