import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BookRoom, ExtendStay, hotel, RegisterGuest, RenameGuest } from '../../tests/fixtures/hotel-write-models.js';
import { DomainError } from '../errors/errors.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent } from '../messages/define.js';
import { defineDecider } from './models.js';
import { writeModels } from './write-models.js';

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

  it('keeps the state a refused decision was made on, and only the most recent entries', async () => {
    const { store, mediator } = hotel({ cacheSize: 1 });
    await mediator.send(BookRoom, { bookingId: 'b1', roomId: '101', nights: 1 });
    let loads = store.loads;
    // Refused by the decider's rule, then by the schema of the event it decided: neither read the stream again.
    await expect(mediator.send(BookRoom, { bookingId: 'b1', roomId: '102', nights: 1 })).rejects.toMatchObject({
      rule: 'ALREADY_BOOKED',
    });
    await expect(mediator.send(ExtendStay, { bookingId: 'b1', nights: -1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 2 });
    expect(store.loads).toBe(loads);
    // A refusal on a stream never written keeps nothing, so it evicts nothing.
    await expect(mediator.send(ExtendStay, { bookingId: 'none', nights: 1 })).rejects.toMatchObject({
      rule: 'NOT_BOOKED',
    });
    loads = store.loads;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 });
    expect(store.loads).toBe(loads);
    // One entry: b2 takes b1's place.
    await mediator.send(BookRoom, { bookingId: 'b2', roomId: '102', nights: 1 });
    loads = store.loads;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 });
    expect(store.loads).toBe(loads + 1);
    const nights = (await store.readStream(streamId('booking', 'b1'))).map(
      (e) => (e.data as { nights: number }).nights,
    );
    expect(nights).toEqual([1, 2, 1, 1]);
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
