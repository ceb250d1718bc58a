import { describe, expect, it, vi } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import { type StreamId, streamId } from '../event-store/records.js';
import { START } from '../positions/position.js';

import { events, rejection, type StoreFactory, setup } from './store-factory.js';

/** The state store, idempotency and snapshot contract: every write store passes it unchanged. */
export function stateStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name}: state store contract`, () => {
    const open = setup(factory);

    it('saves a state at version 1, then only over the version it was loaded at', async () => {
      const store = await open();
      expect(await store.load('guest', 'g1')).toBeUndefined();
      const first = await store.commit({
        states: [{ collection: 'guest', id: 'g1', expectedVersion: 0, state: { name: 'Ada' } }],
      });
      expect(first.versions.get('guest/g1')).toBe(1);
      expect(first.position).toBeUndefined();
      await store.commit({
        states: [{ collection: 'guest', id: 'g1', expectedVersion: 1, state: { name: 'Ada L.' } }],
      });
      expect(await store.load('guest', 'g1')).toEqual({ state: { name: 'Ada L.' }, version: 2 });
      const stale = await rejection(
        store.commit({ states: [{ collection: 'guest', id: 'g1', expectedVersion: 1, state: { name: 'Eve' } }] }),
      );
      expect(isTwofoldError(stale, 'CONCURRENCY_CONFLICT')).toBe(true);
      const duplicate = await rejection(
        store.commit({ states: [{ collection: 'guest', id: 'g1', expectedVersion: 0, state: { name: 'Eve' } }] }),
      );
      expect(isTwofoldError(duplicate, 'CONCURRENCY_CONFLICT')).toBe(true);
      expect(await store.load('guest', 'g1')).toEqual({ state: { name: 'Ada L.' }, version: 2 });
      expect(await store.load('other', 'g1')).toBeUndefined();
    });

    it('commits a state and its events together, or neither', async () => {
      const store = await open();
      const stream = streamId('guest', 'g1');
      const committed = await store.commit({
        states: [{ collection: 'guest', id: 'g1', expectedVersion: 0, state: { name: 'Ada' } }],
        appends: [{ streamId: stream, expectedVersion: 'any', events: events(1) }],
      });
      expect(committed.position).toBe(committed.events[0]?.position);
      expect(committed.position).toBeGreaterThan(START);
      const failed = await rejection(
        store.commit({
          states: [{ collection: 'guest', id: 'g1', expectedVersion: 0, state: { name: 'Eve' } }],
          appends: [{ streamId: stream, expectedVersion: 'any', events: events(1) }],
        }),
      );
      expect(isTwofoldError(failed, 'CONCURRENCY_CONFLICT')).toBe(true);
      expect(await store.streamVersion(stream)).toBe(1);
      expect((await store.load('guest', 'g1'))?.state).toEqual({ name: 'Ada' });
    });

    it('stores an idempotency record with its commit, and refuses a second one under the same key', async () => {
      const store = await open();
      expect(await store.find('cmd-1')).toBeUndefined();
      const command = { commandType: 'shop.PlaceOrder', fingerprint: 'f1' };
      const { position } = await store.commit({
        appends: [{ streamId: streamId('order', '1'), expectedVersion: 'any', events: events(2) }],
        idempotency: { key: 'cmd-1', ...command, result: { orderId: 'o1', total: 12.5 } },
      });
      expect(await store.find('cmd-1')).toEqual({
        key: 'cmd-1',
        ...command,
        result: { orderId: 'o1', total: 12.5 },
        position,
      });
      const again = await rejection(
        store.commit({
          appends: [{ streamId: streamId('order', '1'), expectedVersion: 'any', events: events(1) }],
          idempotency: { key: 'cmd-1', commandType: 'shop.CancelOrder', fingerprint: 'f2', result: null },
        }),
      );
      expect(isTwofoldError(again, 'CONCURRENCY_CONFLICT')).toBe(true);
      expect(await store.head()).toBe(position);
      expect((await store.find('cmd-1'))?.commandType).toBe('shop.PlaceOrder');
      await store.commit({ idempotency: { key: 'cmd-2', ...command, result: null } });
      expect(await store.find('cmd-2')).toEqual({ key: 'cmd-2', ...command, result: null, position: undefined });
    });

    it('prunes idempotency records stored before a time, oldest first, at most a batch at a time', async () => {
      const store = await open();
      const command = { commandType: 'shop.PlaceOrder', fingerprint: 'f' };
      for (const key of ['old-1', 'old-2', 'old-3'])
        await store.commit({ idempotency: { key, ...command, result: key } });
      // Records are stamped with the time of their commit: wait for the clock to pass the old ones'.
      const cutoff = Date.now();
      await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(cutoff), { interval: 1 });
      await store.commit({ idempotency: { key: 'new', ...command, result: 'new' } });
      expect(await store.pruneIdempotency(cutoff + 1, 2)).toBe(2);
      expect(await store.pruneIdempotency(cutoff + 1, 2)).toBe(1);
      expect(await store.pruneIdempotency(cutoff + 1, 2)).toBe(0);
      for (const key of ['old-1', 'old-2', 'old-3']) expect(await store.find(key)).toBeUndefined();
      expect((await store.find('new'))?.result).toBe('new');
      // A pruned key is free again.
      await store.commit({ idempotency: { key: 'old-1', ...command, result: 'again' } });
      expect((await store.find('old-1'))?.result).toBe('again');
    });

    it('saves and loads snapshots per stream and name, the latest winning', async () => {
      const store = await open();
      const stream: StreamId = streamId('booking', 'b1');
      expect(await store.loadSnapshot(stream, 'booking')).toBeUndefined();
      await store.saveSnapshot(stream, 'booking', { state: { nights: 2 }, version: 10 });
      await store.saveSnapshot(stream, 'booking', { state: { nights: 3 }, version: 20 });
      expect(await store.loadSnapshot(stream, 'booking')).toEqual({ state: { nights: 3 }, version: 20 });
      expect(await store.loadSnapshot(stream, 'other')).toBeUndefined();
    });
  });
}
