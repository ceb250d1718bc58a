import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import { type NewEvent, streamId } from '../event-store/records.js';
import { type Upcaster, upcaster } from '../event-store/upcasters.js';
import { type GlobalPosition, START } from '../positions/position.js';

import { events, expectIncreasing, rejection, type StoreFactory, setup } from './store-factory.js';

/**
 * The event store contract: every write store passes it unchanged. An adapter's test file calls it once.
 *
 * @example
 * eventStoreContract('sqlite', ({ upcasters }) => {
 *   const db = sqlite({ path: ':memory:', upcasters });
 *   return { store: db.events, close: () => db.close() };
 * });
 */
export function eventStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name}: event store contract`, () => {
    const open = setup(factory);
    const s = streamId('order', '1');

    it('appends and reads a stream forward, backward, from a version, with a limit', async () => {
      const store = await open();
      const appended = await store.append(s, events(5), { expectedVersion: 'no-stream' });
      expect(appended.events.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
      expect(appended.position).toBe(appended.events.at(-1)?.position);
      expectIncreasing(appended.events.map((e) => e.position));
      const all = await store.readStream(s);
      expect(all.map((e) => e.position)).toEqual(appended.events.map((e) => e.position));
      expect(all.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
      expect(all[0]).toMatchObject({
        type: 'test.Happened',
        streamId: s,
        streamVersion: 1,
        schemaVersion: 1,
      });
      expect(typeof all[0]?.id).toBe('string');
      expect(all[0]?.timestamp).toBeGreaterThan(0);
      expect((await store.readStream(s, { from: 3 })).map((e) => e.streamVersion)).toEqual([3, 4, 5]);
      expect((await store.readStream(s, { direction: 'backward' })).map((e) => e.streamVersion)).toEqual([
        5, 4, 3, 2, 1,
      ]);
      expect((await store.readStream(s, { direction: 'backward', from: 2 })).map((e) => e.streamVersion)).toEqual([
        2, 1,
      ]);
      expect((await store.readStream(s, { from: 2, limit: 2 })).map((e) => e.streamVersion)).toEqual([2, 3]);
      expect(await store.readStream(streamId('order', 'none'))).toEqual([]);
    });

    it('keeps data, metadata and caller-chosen ids as written', async () => {
      const store = await open();
      const data = { text: 'Zoë — 東京 🏨', nested: { list: [1, 2.5, null, true], empty: {} } };
      await store.append(s, [
        { type: 'test.Happened', data, metadata: { correlationId: 'c-1' }, id: 'event-1', schemaVersion: 2 },
      ]);
      const [event] = await store.readStream(s);
      expect(event).toMatchObject({ id: 'event-1', data, metadata: { correlationId: 'c-1' }, schemaVersion: 2 });
    });

    it('enforces expected versions: no-stream, exact and any', async () => {
      const store = await open();
      await store.append(s, events(2), { expectedVersion: 'no-stream' });
      const again = await rejection(store.append(s, events(1), { expectedVersion: 'no-stream' }));
      expect(isTwofoldError(again, 'CONCURRENCY_CONFLICT')).toBe(true);
      expect(String((again as Error).message)).toContain(s);
      const stale = await rejection(store.append(s, events(1), { expectedVersion: 1 }));
      expect(stale).toMatchObject({ code: 'CONCURRENCY_CONFLICT', expected: 1, actual: 2 });
      await store.append(s, events(1), { expectedVersion: 2 });
      await store.append(s, events(1), { expectedVersion: 'any' });
      await store.append(streamId('order', '2'), events(1), { expectedVersion: 0 });
      expect(await store.streamVersion(s)).toBe(4);
      expect(await store.streamVersion(streamId('order', 'missing'))).toBe(0);
    });

    it('rejects malformed appends without writing anything', async () => {
      const store = await open();
      await expect(store.append(s, [{ type: '' } as NewEvent])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(store.append(s, events(1), { expectedVersion: -1 as never })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(await store.head()).toBe(START);
    });

    it('refuses an event holding a string no store can hold (NUL, a lone surrogate), writing nothing', async () => {
      const store = await open();
      for (const data of [{ name: 'a\u0000' }, { 'x\ud800': 1 }]) {
        await expect(store.append(s, [{ type: 'test.Happened', data }])).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
      }
      expect(await store.head()).toBe(START);
    });

    it('has a ceiling at or above every position it handed out', async () => {
      const store = await open();
      if (store.ceiling === undefined) return;
      expect(await store.ceiling()).toBeGreaterThanOrEqual(START);
      const { position } = await store.append(streamId('a', 1), events(3));
      expect(await store.ceiling()).toBeGreaterThanOrEqual(position!);
      expect(await store.ceiling()).toBeGreaterThanOrEqual(await store.head());
    });

    it('orders every event in one global order, read in batches', async () => {
      const store = await open();
      const appended = [
        await store.append(streamId('a', 1), events(3)),
        await store.append(streamId('b', 1), events(2)),
        await store.append(streamId('a', 1), events(2)),
      ].flatMap((c) => c.events.map((e) => e.position));
      expectIncreasing(appended);
      expect(await store.head()).toBe(appended.at(-1));
      const seen: GlobalPosition[] = [];
      for (let after = START; ; ) {
        const batch = await store.readAll(after, 3);
        if (batch.length === 0) break;
        seen.push(...batch.map((e) => e.position));
        after = batch[batch.length - 1]!.position;
      }
      expect(seen).toEqual(appended);
      expect((await store.readLatest(3)).map((e) => e.position)).toEqual(appended.slice(-3).reverse());
      expect((await store.readLatest(100)).map((e) => e.position)).toEqual([...appended].reverse());
      expect((await store.readLatest(2, appended[3])).map((e) => e.position)).toEqual([appended[2], appended[1]]);
      expect((await store.readLatest(10, appended[1])).map((e) => e.position)).toEqual([appended[0]]);
      expect(await store.readLatest(10, appended[0])).toEqual([]);
      expect((await store.readAll(START, 10)).map((e) => [e.streamId, e.streamVersion])).toEqual([
        ['a-1', 1],
        ['a-1', 2],
        ['a-1', 3],
        ['b-1', 1],
        ['b-1', 2],
        ['a-1', 4],
        ['a-1', 5],
      ]);
    });

    it('wakes a reader waiting for new events, and lets an aborted wait go', async () => {
      const store = await open();
      const first = await store.append(s, events(1));
      await store.waitForEvents(START, AbortSignal.timeout(1_000));
      const waiting = store.waitForEvents(first.position!, AbortSignal.timeout(10_000));
      const second = await store.append(s, events(1));
      await waiting;
      const controller = new AbortController();
      const aborted = store.waitForEvents(second.position!, controller.signal);
      controller.abort(new Error('stop'));
      await expect(aborted).rejects.toThrow('stop');
    });

    it('commits several streams all or nothing', async () => {
      const store = await open();
      const { position } = await store.append(streamId('b', 1), events(1));
      const conflict = await rejection(
        store.commit({
          appends: [
            { streamId: streamId('a', 1), expectedVersion: 'no-stream', events: events(2) },
            { streamId: streamId('b', 1), expectedVersion: 'no-stream', events: events(1) },
          ],
        }),
      );
      expect(isTwofoldError(conflict, 'CONCURRENCY_CONFLICT')).toBe(true);
      expect(await store.streamVersion(streamId('a', 1))).toBe(0);
      expect(await store.head()).toBe(position);
      const failing = await rejection(
        store.commit({
          appends: [{ streamId: streamId('a', 1), expectedVersion: 'any', events: events(2) }],
          participants: [
            () => {
              throw new Error('participant failed');
            },
          ],
        }),
      );
      expect(String(failing)).toContain('participant failed');
      expect(await store.head()).toBe(position);
    });

    it('hands participants the recorded events inside the commit', async () => {
      const store = await open();
      let seen: readonly { position: GlobalPosition; streamVersion: number }[] = [];
      const committed = await store.commit({
        appends: [{ streamId: s, expectedVersion: 'any', events: events(2) }],
        participants: [
          (_tx, recorded) => {
            seen = recorded.map((e) => ({ position: e.position, streamVersion: e.streamVersion }));
          },
        ],
      });
      expect(seen).toEqual(committed.events.map((e) => ({ position: e.position, streamVersion: e.streamVersion })));
      expect(seen.map((e) => e.streamVersion)).toEqual([1, 2]);
      expectIncreasing(seen.map((e) => e.position));
      expect(committed.versions.get(s)).toBe(2);
    });

    it("runs participants' before steps first, with the events about to be appended, and a failing one writes nothing", async () => {
      const store = await open();
      const steps: string[] = [];
      const participant = Object.assign(
        (_tx: unknown, recorded: readonly { type: string }[]) => {
          steps.push(`after ${recorded.map((e) => e.type).join(',')}`);
        },
        {
          before: (_tx: unknown, appending: readonly { type: string }[]) => {
            steps.push(`before ${appending.map((e) => e.type).join(',')}`);
          },
        },
      );
      await store.commit({
        appends: [
          { streamId: s, expectedVersion: 'any', events: [{ type: 'test.A', data: {} }] },
          { streamId: streamId('b', 1), expectedVersion: 'any', events: [{ type: 'test.B', data: {} }] },
        ],
        participants: [participant],
      });
      expect(steps).toEqual(['before test.A,test.B', 'after test.A,test.B']);
      const head = await store.head();
      const refusing = Object.assign(() => {}, {
        before: () => {
          throw new Error('no turn');
        },
      });
      const failing = await rejection(
        store.commit({
          appends: [{ streamId: s, expectedVersion: 'any', events: events(1) }],
          participants: [refusing],
        }),
      );
      expect(String(failing)).toContain('no turn');
      expect(await store.head()).toBe(head);
    });

    it('applies upcasters on read, one version at a time', async () => {
      const v1: Upcaster = upcaster('test.Renamed', 1, (data: { name: string }) => ({ fullName: data.name }));
      const v2: Upcaster = upcaster('test.Renamed', 2, (data: { fullName: string }) => ({
        ...data,
        upper: data.fullName.toUpperCase(),
      }));
      const store = await open([v1, v2]);
      await store.append(s, [
        { type: 'test.Renamed', data: { name: 'ada' } },
        { type: 'test.Renamed', data: { fullName: 'bob' }, schemaVersion: 2 },
        { type: 'test.Renamed', data: { fullName: 'eve', upper: 'EVE' }, schemaVersion: 3 },
      ]);
      const read = await store.readStream(s);
      expect(read.map((e) => [e.schemaVersion, e.data])).toEqual([
        [3, { fullName: 'ada', upper: 'ADA' }],
        [3, { fullName: 'bob', upper: 'BOB' }],
        [3, { fullName: 'eve', upper: 'EVE' }],
      ]);
      expect((await store.readAll(START, 1))[0]?.data).toEqual({ fullName: 'ada', upper: 'ADA' });
    });

    it('lets exactly one of N concurrent writers with the same expected version win, losing nothing (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 2, max: 8 }),
          fc.integer({ min: 0, max: 3 }),
          fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
          async (writers, existing, sizes) => {
            const store = await open();
            const stream = streamId('race', 'x');
            if (existing > 0) await store.append(stream, events(existing, 'old'));
            const outcomes = await Promise.allSettled(
              Array.from({ length: writers }, (_, w) =>
                store.append(stream, events(sizes[w]!, `w${w}-`), { expectedVersion: existing }),
              ),
            );
            const winners = outcomes.flatMap((o, w) => (o.status === 'fulfilled' ? [w] : []));
            expect(winners).toHaveLength(1);
            for (const o of outcomes) {
              if (o.status === 'rejected') expect(isTwofoldError(o.reason, 'CONCURRENCY_CONFLICT')).toBe(true);
            }
            const winner = winners[0]!;
            const stored = await store.readStream(stream);
            expect(stored.map((e) => e.streamVersion)).toEqual(
              Array.from({ length: existing + sizes[winner]! }, (_, i) => i + 1),
            );
            expect(stored.slice(existing).map((e) => (e.data as { label: string }).label)).toEqual(
              events(sizes[winner]!, `w${winner}-`).map((e) => (e.data as { label: string }).label),
            );
            expect((await store.readAll(START, 1_000)).map((e) => e.position)).toEqual(stored.map((e) => e.position));
            expectIncreasing(stored.map((e) => e.position));
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
