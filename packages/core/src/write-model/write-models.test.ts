import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../errors/errors.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent } from '../messages/define.js';
import type { StandardSchemaV1 } from '../messages/schema.js';
import { START } from '../positions/position.js';
import { defineDecider, defineStateModel } from './models.js';
import { writeModels } from './write-models.js';

const BookRoom = defineCommand(
  'hotel.BookRoom',
  z.object({ bookingId: z.string(), roomId: z.string(), nights: z.number() }),
  {
    result: z.object({ bookingId: z.string(), nights: z.number() }),
  },
);
const ExtendStay = defineCommand('hotel.ExtendStay', z.object({ bookingId: z.string(), nights: z.number() }));
const CancelBooking = defineCommand('hotel.CancelBooking', z.object({ bookingId: z.string() }));
const RoomBooked = defineEvent(
  'hotel.RoomBooked',
  z.object({ bookingId: z.string(), roomId: z.string(), nights: z.number() }),
);
const StayExtended = defineEvent(
  'hotel.StayExtended',
  z.object({ bookingId: z.string(), nights: z.number().positive() }),
);
const BookingCancelled = defineEvent('hotel.BookingCancelled', z.object({ bookingId: z.string() }));

type Booking = { status: 'none' } | { status: 'booked' | 'cancelled'; roomId: string; nights: number };
let evolutions = 0;

const booking = defineDecider({
  name: 'booking',
  commands: [BookRoom, ExtendStay, CancelBooking],
  events: [RoomBooked, StayExtended, BookingCancelled],
  initialState: (): Booking => ({ status: 'none' }),
  evolve: (state, event): Booking => {
    evolutions++;
    switch (event.type) {
      case 'hotel.RoomBooked':
        return { status: 'booked', roomId: event.data.roomId, nights: event.data.nights };
      case 'hotel.StayExtended':
        return state.status === 'none' ? state : { ...state, nights: state.nights + event.data.nights };
      case 'hotel.BookingCancelled':
        return state.status === 'none' ? state : { ...state, status: 'cancelled' };
      default:
        return event satisfies never;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'hotel.BookRoom':
        if (state.status !== 'none') throw new DomainError('ALREADY_BOOKED', `${command.data.bookingId} exists`);
        return [{ type: 'hotel.RoomBooked', data: command.data }];
      case 'hotel.ExtendStay':
        if (state.status !== 'booked') throw new DomainError('NOT_BOOKED', 'Nothing to extend');
        return [{ type: 'hotel.StayExtended', data: command.data }];
      case 'hotel.CancelBooking':
        if (state.status !== 'booked') throw new DomainError('NOT_BOOKED', 'Nothing to cancel');
        return [{ type: 'hotel.BookingCancelled', data: command.data }];
      default:
        return command satisfies never;
    }
  },
});

const RegisterGuest = defineCommand('hotel.RegisterGuest', z.object({ guestId: z.string(), name: z.string() }));
const RenameGuest = defineCommand('hotel.RenameGuest', z.object({ guestId: z.string(), name: z.string() }));
const GuestRegistered = defineEvent('hotel.GuestRegistered', z.object({ guestId: z.string(), name: z.string() }));

const guests = defineStateModel({
  name: 'guest',
  commands: [RegisterGuest, RenameGuest],
  events: [GuestRegistered],
  initialState: (): { name: string } | null => null,
  decide: (command, guest) => {
    switch (command.type) {
      case 'hotel.RegisterGuest':
        if (guest !== null) throw new DomainError('GUEST_EXISTS', 'Already registered');
        return { state: { name: command.data.name }, events: [{ type: 'hotel.GuestRegistered', data: command.data }] };
      case 'hotel.RenameGuest':
        if (guest === null) throw new DomainError('NO_GUEST', 'Unknown guest');
        return { state: { name: command.data.name } };
      default:
        return command satisfies never;
    }
  },
});

/** A memory store that counts what write models load from it. */
class CountingStore extends MemoryStore {
  loads = 0;
  override readStream(...args: Parameters<MemoryStore['readStream']>) {
    this.loads++;
    return super.readStream(...args);
  }
  override load(...args: Parameters<MemoryStore['load']>) {
    this.loads++;
    return super.load(...args);
  }
}

function hotel(options: { retries?: number; snapshotEvery?: number; cacheSize?: number } = {}) {
  const store = new CountingStore();
  const models = writeModels({
    store,
    retries: options.retries ?? 3,
    retryDelayMs: 0,
    ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
  });
  const stream = ({ data }: { data: { bookingId: string } }) => streamId('booking', data.bookingId);
  const snapshots = options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery };
  let runs = 0;
  const bookRoom = models.eventSourced(booking, {
    stream,
    ...snapshots,
    result: ({ state, events }) => {
      runs++;
      return { bookingId: events[0]?.data.bookingId ?? '', nights: state.status === 'none' ? 0 : state.nights };
    },
  });
  const mediator = createMediator()
    .command(BookRoom, bookRoom)
    .command(ExtendStay, models.eventSourced(booking, { stream, ...snapshots }))
    .command(CancelBooking, models.eventSourced(booking, { stream }))
    .command(RegisterGuest, models.stateStored(guests, { id: ({ data }) => data.guestId }))
    .command(RenameGuest, models.stateStored(guests, { id: ({ data }) => data.guestId }));
  return { store, mediator, runs: () => runs };
}

describe('event-sourced write model', () => {
  it('loads the stream, decides, appends with the expected version, and reports the position', async () => {
    const { store, mediator } = hotel();
    const booked = await mediator.execute(BookRoom, { bookingId: 'b1', roomId: '101', nights: 2 });
    expect(booked.result).toEqual({ bookingId: 'b1', nights: 2 });
    expect(booked.position).toBe(1);
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 3 });
    const events = await store.readStream(streamId('booking', 'b1'));
    expect(events.map((e) => [e.type, e.streamVersion, e.position])).toEqual([
      ['hotel.RoomBooked', 1, 1],
      ['hotel.StayExtended', 2, 2],
    ]);
    expect(events[1]?.metadata).toMatchObject({ commandType: 'hotel.ExtendStay' });
    expect(events[1]?.metadata.correlationId).toBe(events[1]?.metadata.commandId);
  });

  it('refuses what the rules refuse with a DomainError, committing nothing', async () => {
    const { store, mediator } = hotel();
    await expect(mediator.send(CancelBooking, { bookingId: 'b9' })).rejects.toMatchObject({
      code: 'DOMAIN_RULE',
      rule: 'NOT_BOOKED',
    });
    await expect(mediator.send(ExtendStay, { bookingId: 'b9', nights: 1 })).rejects.toBeInstanceOf(DomainError);
    expect(await store.head()).toBe(START);
  });

  it('validates decided events against their schema, committing nothing when one is wrong', async () => {
    const { store, mediator } = hotel();
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 2 });
    await expect(mediator.send(ExtendStay, { bookingId: 'b1', nights: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining("event data decided by 'booking'"),
    });
    expect(await store.head()).toBe(1);
  });

  it('retries on a concurrency conflict, so concurrent commands on one stream all land, in some order', async () => {
    const { store, mediator } = hotel({ retries: 10 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    await Promise.all([1, 2, 3, 4].map((nights) => mediator.send(ExtendStay, { bookingId: 'b1', nights })));
    const events = await store.readStream(streamId('booking', 'b1'));
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    expect(events.slice(1).reduce((sum, e) => sum + (e.data as { nights: number }).nights, 0)).toBe(10);
  });

  it('gives up with CONCURRENCY_CONFLICT once its retries are spent', async () => {
    // Three processes' write models on one store, each without a cache: they all decide on version 1.
    const { store, mediator } = hotel({ retries: 0, cacheSize: 0 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    const processes = [1, 2, 3].map(() => {
      const models = writeModels({ store, retries: 0, cacheSize: 0 });
      const stream = ({ data }: { data: { bookingId: string } }) => streamId('booking', data.bookingId);
      return createMediator().command(ExtendStay, models.eventSourced(booking, { stream }));
    });
    const outcomes = await Promise.allSettled(
      processes.map((other, nights) => other.send(ExtendStay, { bookingId: 'b1', nights: nights + 1 })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) {
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT' });
    }
  });

  it('does not run a command cancelled while it waited for its turn', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    class GatedStore extends MemoryStore {
      override async readStream(...args: Parameters<MemoryStore['readStream']>) {
        await gate;
        return super.readStream(...args);
      }
    }
    const store = new GatedStore();
    await store.append(streamId('booking', 'b1'), [
      { type: 'hotel.RoomBooked', data: { bookingId: 'b1', roomId: '101', nights: 1 } },
    ]);
    const models = writeModels({ store, cacheSize: 0 });
    const stream = ({ data }: { data: { bookingId: string } }) => streamId('booking', data.bookingId);
    const mediator = createMediator().command(ExtendStay, models.eventSourced(booking, { stream }));
    const first = mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 });
    const controller = new AbortController();
    const second = mediator.send(ExtendStay, { bookingId: 'b1', nights: 5 }, { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    open();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 10));
    const nights = (await store.readStream(streamId('booking', 'b1'))).map(
      (e) => (e.data as { nights: number }).nights,
    );
    expect(nights).toEqual([1, 1]);
  });

  it('runs the commands of one process on one aggregate one after another, so a burst never conflicts', async () => {
    const { store, mediator } = hotel({ retries: 0 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    await mediator.send(RegisterGuest, { guestId: 'g1', name: 'Ada' });
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 20 }, () => mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 })),
      ...Array.from({ length: 20 }, (_, i) => mediator.send(RenameGuest, { guestId: 'g1', name: `Ada ${i}` })),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(await store.streamVersion(streamId('booking', 'b1'))).toBe(21);
    expect(await store.load('guest', 'g1')).toEqual({ state: { name: 'Ada 19' }, version: 21 });
  });

  it('returns the stored result for a repeated command id or idempotency key, without running again', async () => {
    const { store, mediator, runs } = hotel();
    const first = await mediator.execute(
      BookRoom,
      { bookingId: 'b1', roomId: '101', nights: 2 },
      { messageId: 'cmd-1' },
    );
    const again = await mediator.execute(
      BookRoom,
      { bookingId: 'b1', roomId: '101', nights: 2 },
      { messageId: 'cmd-1' },
    );
    expect(again.result).toEqual(first.result);
    expect(again.position).toBe(first.position);
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 }, { idempotencyKey: 'k-1' });
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 }, { idempotencyKey: 'k-1' });
    expect(await store.streamVersion(streamId('booking', 'b1'))).toBe(2);
    expect(runs()).toBe(1);
    await expect(mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 2 })).rejects.toMatchObject({
      rule: 'ALREADY_BOOKED',
    });
  });

  it('snapshots every N events and loads from the snapshot', async () => {
    const { store, mediator } = hotel({ snapshotEvery: 3, cacheSize: 0 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    for (let i = 0; i < 4; i++) await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 });
    expect(await store.loadSnapshot(streamId('booking', 'b1'), 'booking')).toEqual({
      state: { status: 'booked', roomId: '101', nights: 3 },
      version: 3,
    });
    evolutions = 0;
    const { result } = await mediator.execute(BookRoom, { bookingId: 'b2', roomId: '102', nights: 1 });
    expect(result.nights).toBe(1);
    evolutions = 0;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 });
    // From the snapshot at version 3: events 4 and 5 are folded, then the new one as decided and as stored.
    expect(evolutions).toBe(4);
  });
});

describe('the state cache', () => {
  it('decides on the stream state it committed last, reading nothing', async () => {
    const { store, mediator } = hotel();
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    await mediator.send(RegisterGuest, { guestId: 'g1', name: 'Ada' });
    const loads = store.loads;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 2 });
    expect(store.loads).toBe(loads);
    // A state-stored aggregate is loaded each time: one read, as the store gives it back.
    await mediator.send(RenameGuest, { guestId: 'g1', name: 'Ada L.' });
    expect(store.loads).toBe(loads + 1);
    const { result } = await mediator.execute(BookRoom, { bookingId: 'b2', roomId: '102', nights: 1 });
    expect(result).toEqual({ bookingId: 'b2', nights: 1 });
    expect((await store.readStream(streamId('booking', 'b1'))).map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(await store.load('guest', 'g1')).toEqual({ state: { name: 'Ada L.' }, version: 2 });
  });

  it('reloads at once what another writer changed, without spending a retry', async () => {
    const { store, mediator } = hotel({ retries: 0 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    await mediator.send(RegisterGuest, { guestId: 'g1', name: 'Ada' });
    // Another process cancels the booking and renames the guest behind the cache's back.
    await store.append(streamId('booking', 'b1'), [{ type: 'hotel.BookingCancelled', data: { bookingId: 'b1' } }]);
    await store.commit({ states: [{ collection: 'guest', id: 'g1', expectedVersion: 1, state: { name: 'Eve' } }] });
    await expect(mediator.send(ExtendStay, { bookingId: 'b1', nights: 2 })).rejects.toMatchObject({
      rule: 'NOT_BOOKED',
    });
    await mediator.send(RenameGuest, { guestId: 'g1', name: 'Ada L.' });
    expect(await store.load('guest', 'g1')).toEqual({ state: { name: 'Ada L.' }, version: 3 });
    expect(await store.streamVersion(streamId('booking', 'b1'))).toBe(2);
  });

  it('keeps nothing from a command that failed, and only the most recent entries', async () => {
    const { store, mediator } = hotel({ cacheSize: 1 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    await expect(mediator.send(ExtendStay, { bookingId: 'b1', nights: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    let loads = store.loads;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 2 });
    expect(store.loads).toBe(loads + 1);
    await mediator.send(BookRoom, { bookingId: 'b2', roomId: '102', nights: 1 });
    loads = store.loads;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 });
    expect(store.loads).toBe(loads + 1);
    const nights = (await store.readStream(streamId('booking', 'b1'))).map(
      (e) => (e.data as { nights: number }).nights,
    );
    expect(nights).toEqual([1, 2, 1]);
  });

  it('keeps the state as stored events fold it, after their schemas transformed them', async () => {
    const Subscribe = defineCommand('news.Subscribe', z.object({ id: z.string(), email: z.string() }));
    const Subscribed = defineEvent(
      'news.Subscribed',
      z.object({ id: z.string(), email: z.string().trim().toLowerCase() }),
    );
    const subscriptions = defineDecider({
      name: 'subscriptions',
      commands: [Subscribe],
      events: [Subscribed],
      initialState: () => ({ emails: [] as string[] }),
      evolve: (state, event) => ({ emails: [...state.emails, event.data.email] }),
      decide: (command, state) => {
        if (state.emails.includes(command.data.email.trim().toLowerCase())) {
          throw new DomainError('SUBSCRIBED', 'Already subscribed');
        }
        return [{ type: 'news.Subscribed' as const, data: command.data }];
      },
    });
    for (const cacheSize of [10, 0]) {
      const models = writeModels({ store: new MemoryStore(), cacheSize });
      const mediator = createMediator().command(
        Subscribe,
        models.eventSourced(subscriptions, { stream: ({ data }) => streamId('list', data.id) }),
      );
      await mediator.send(Subscribe, { id: 'l1', email: ' Ann@Example.com' });
      await expect(mediator.send(Subscribe, { id: 'l1', email: 'ann@example.com' })).rejects.toMatchObject({
        rule: 'SUBSCRIBED',
      });
    }
  });

  it('is off with cacheSize 0, and checks its size', async () => {
    const { store, mediator } = hotel({ cacheSize: 0 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    const loads = store.loads;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 2 });
    expect(store.loads).toBe(loads + 1);
    expect(() => writeModels({ store, cacheSize: -1 })).toThrow(/cacheSize must be an integer >= 0/);
    expect(() => writeModels({ store, cacheSize: 1.5 })).toThrow(/cacheSize/);
  });
});

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

describe('state-stored write model', () => {
  it('saves the state with a version, and appends its events to the log in the same commit', async () => {
    const { store, mediator } = hotel();
    const { position } = await mediator.execute(RegisterGuest, { guestId: 'g1', name: 'Ada' });
    expect(position).toBe(1);
    await mediator.send(RenameGuest, { guestId: 'g1', name: 'Ada L.' });
    expect(await store.load('guest', 'g1')).toEqual({ state: { name: 'Ada L.' }, version: 2 });
    const log = await store.readAll(START, 10);
    expect(log.map((e) => [e.type, e.streamId])).toEqual([['hotel.GuestRegistered', 'guest-g1']]);
    await expect(mediator.send(RegisterGuest, { guestId: 'g1', name: 'Eve' })).rejects.toMatchObject({
      rule: 'GUEST_EXISTS',
    });
  });

  it('retries concurrent changes of one aggregate on the state version', async () => {
    const { store, mediator } = hotel({ retries: 10 });
    await mediator.send(RegisterGuest, { guestId: 'g1', name: 'Ada' });
    await Promise.all(['a', 'b', 'c'].map((name) => mediator.send(RenameGuest, { guestId: 'g1', name })));
    expect((await store.load('guest', 'g1'))?.version).toBe(4);
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
