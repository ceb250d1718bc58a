import { describe, expect, it } from 'vitest';
import {
  BookRoom,
  booking,
  CancelBooking,
  ExtendStay,
  evolutions,
  hotel,
  RegisterGuest,
  RenameGuest,
} from '../../tests/fixtures/hotel-write-models.js';
import { DomainError } from '../errors/errors.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { START } from '../positions/position.js';
import { writeModels } from './write-models.js';

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
    // A command sent after it on the same aggregate runs after it: had the cancelled one run, it would show first.
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 2 });
    const nights = (await store.readStream(streamId('booking', 'b1'))).map(
      (e) => (e.data as { nights: number }).nights,
    );
    expect(nights).toEqual([1, 1, 2]);
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
    evolutions.count = 0;
    const { result } = await mediator.execute(BookRoom, { bookingId: 'b2', roomId: '102', nights: 1 });
    expect(result.nights).toBe(1);
    evolutions.count = 0;
    await mediator.send(ExtendStay, { bookingId: 'b1', nights: 1 });
    // From the snapshot at version 3: events 4 and 5 are folded, then the new one as decided and as stored.
    expect(evolutions.count).toBe(4);
  });
});
