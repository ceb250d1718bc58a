import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { defineEvent } from '../messages/define.js';
import { MemoryOutbox } from '../outbox/memory.js';
import type { InlineDocumentTx } from './documents.js';
import { inlineProjection } from './inline.js';
import { MemoryDocumentStore } from './memory-store.js';
import { projection } from './projection.js';

const Booked = defineEvent('test.Booked', z.object({ bookingId: z.string() }));
const bookings = projection<InlineDocumentTx>('bookings').on(Booked, ({ bookingId }, tx) => {
  tx.collection('bookings').put(bookingId, { bookingId });
});
const booked = (bookingId: string) => [{ type: 'test.Booked', data: { bookingId } }];
const s = streamId('booking', 'b');

async function pair() {
  const store = new MemoryStore();
  const documents = new MemoryDocumentStore();
  await documents.activate({ projection: bookings.name, version: bookings.version });
  const view = inlineProjection(bookings, documents.inline);
  const read = () => documents.read(bookings).collection<{ bookingId: string }>('bookings').find({});
  const checkpoint = () => documents.checkpoint({ projection: bookings.name, version: bookings.version });
  return { store, view, read, checkpoint };
}

describe('the in-memory inline pair (MemoryStore + MemoryDocumentStore)', () => {
  it('rolls back an inline projection that ran when a later participant fails', async () => {
    const { store, view, read, checkpoint } = await pair();
    const failing = () => {
      throw new Error('a later participant failed');
    };
    await expect(
      store.commit({
        appends: [{ streamId: s, expectedVersion: 'any', events: booked('lost') }],
        participants: [view.participant, failing],
      }),
    ).rejects.toThrow('a later participant failed');
    expect(await store.head()).toBe(0);
    expect(await read()).toEqual([]);
    expect(await checkpoint()).toBe(0);

    await store.commit({
      appends: [{ streamId: s, expectedVersion: 'any', events: booked('kept') }],
      participants: [view.participant],
    });
    expect(await read()).toEqual([{ bookingId: 'kept' }]);
    expect(await checkpoint()).toBe(1);
  });

  it('rolls back every inline projection and the outbox when one projection fails', async () => {
    const { store, view, read } = await pair();
    const outbox = new MemoryOutbox();
    const refusing = projection<InlineDocumentTx>('refusing').on(Booked, () => {
      throw new Error('projection failed');
    });
    const other = new MemoryDocumentStore();
    await other.activate({ projection: refusing.name, version: 1 });
    const enqueue = (tx: unknown) => outbox.enqueue(tx, [{ id: 'm1', topic: 'bookings', payload: {}, headers: {} }]);
    await expect(
      store.commit({
        appends: [{ streamId: s, expectedVersion: 'any', events: booked('lost') }],
        participants: [view.participant, enqueue, inlineProjection(refusing, other.inline).participant],
      }),
    ).rejects.toThrow('projection failed');
    expect(await read()).toEqual([]);
    expect(await outbox.claim(10, 1_000)).toEqual([]);
    // The message id was not taken by the failed commit: the retry enqueues it.
    await store.commit({
      appends: [{ streamId: s, expectedVersion: 'any', events: booked('kept') }],
      participants: [view.participant, enqueue],
    });
    expect((await outbox.claim(10, 1_000)).map((m) => m.id)).toEqual(['m1']);
  });
});
