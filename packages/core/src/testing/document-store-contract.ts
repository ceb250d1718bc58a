import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import { type GlobalPosition, START } from '../positions/position.js';
import type { DocumentReader, DocumentTx } from '../projections/documents.js';
import type { ProjectionSlot, ProjectionStore } from '../projections/ports.js';
import { documentQueryContract } from './document-query-contract.js';

/** A read store of JSON documents, as the contract drives it: projections write it, queries read it back. */
export interface DocumentStoreUnderTest extends ProjectionStore<DocumentTx> {
  /** The active version of a projection's collections, for reading. */
  read(projection: string): DocumentReader;
}

/** Makes a fresh, empty document store for one test; `close` (if any) runs after it. */
export type DocumentStoreFactory = () =>
  | Promise<{
      readonly store: DocumentStoreUnderTest;
      /** Lets go of the store after the test. */
      close?(): void | Promise<void>;
    }>
  | {
      readonly store: DocumentStoreUnderTest;
      /** Lets go of the store after the test. */
      close?(): void | Promise<void>;
    };

const at = (n: number) => n as GlobalPosition;

/**
 * The read-store contract for document stores (a read model and its checkpoint in one transaction, versions kept
 * apart, atomic activation). Every document store passes it unchanged; an adapter's test file calls it once.
 *
 * @example
 * documentStoreContract('sqlite', () => {
 *   const db = sqlite(':memory:');
 *   return { store: db.documents, close: () => db.close() };
 * });
 */
export function documentStoreContract(name: string, factory: DocumentStoreFactory): void {
  describe(`${name}: document store contract`, () => {
    const closers: (() => void | Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
    });
    const open = async (): Promise<DocumentStoreUnderTest> => {
      const { store, close } = await factory();
      if (close) closers.push(close);
      return store;
    };
    const v1: ProjectionSlot = { projection: 'rooms', version: 1 };
    const v2: ProjectionSlot = { projection: 'rooms', version: 2 };

    it('starts at START, and moves the checkpoint together with the documents', async () => {
      const store = await open();
      expect(await store.checkpoint(v1)).toBe(START);
      expect(await store.activeVersion('rooms')).toBeUndefined();
      await store.activate(v1);
      await store.commit(v1, START, at(3), (tx) => {
        tx.collection('rooms').put('101', { roomId: '101', floor: 1, tags: ['sea'] });
        tx.collection('rooms').put('201', { roomId: '201', floor: 2, tags: [] });
      });
      expect(await store.checkpoint(v1)).toBe(3);
      const rooms = store.read('rooms').collection('rooms');
      expect(await rooms.get('101')).toEqual({ roomId: '101', floor: 1, tags: ['sea'] });
      expect(await rooms.find({ floor: 2 })).toEqual([{ roomId: '201', floor: 2, tags: [] }]);
      expect(await rooms.count()).toBe(2);
      expect(await rooms.get('nope')).toBeUndefined();
    });

    it('lets a transaction read its own writes, update and delete', async () => {
      const store = await open();
      await store.activate(v1);
      await store.commit(v1, START, at(1), async (tx) => {
        const rooms = tx.collection('rooms');
        rooms.put('a', { n: 1 });
        expect(await rooms.get('a')).toEqual({ n: 1 });
        expect(await rooms.update('a', { n: 2 })).toBe(true);
        expect(await rooms.update('missing', { n: 0 })).toBe(false);
        rooms.put('b', { n: 5 });
        rooms.delete('b');
        expect(await rooms.count()).toBe(1);
      });
      expect(await store.read('rooms').collection('rooms').find()).toEqual([{ n: 2 }]);
    });

    it("overlays a transaction's writes on the documents committed before it", async () => {
      const store = await open();
      await store.activate(v1);
      await store.commit(v1, START, at(1), (tx) => {
        const rooms = tx.collection('rooms');
        rooms.put('a', { kind: 'x', n: 1 });
        rooms.put('b', { kind: 'x', n: 2 });
        rooms.put('c', { kind: 'y', n: 3 });
      });
      await store.commit(v1, at(1), at(2), async (tx) => {
        const rooms = tx.collection('rooms');
        rooms.delete('b');
        rooms.put('d', { kind: 'x', n: 4 });
        expect(await rooms.update('c', { kind: 'x' })).toBe(true);
        expect(await rooms.get('b')).toBeUndefined();
        expect(await rooms.find({ kind: 'x' })).toEqual([
          { kind: 'x', n: 1 },
          { kind: 'x', n: 3 },
          { kind: 'x', n: 4 },
        ]);
        expect(await rooms.count()).toBe(3);
      });
      const rooms = store.read('rooms').collection('rooms');
      expect(await rooms.find()).toEqual([
        { kind: 'x', n: 1 },
        { kind: 'x', n: 3 },
        { kind: 'x', n: 4 },
      ]);
      expect(await rooms.count({ kind: 'y' })).toBe(0);
      expect(await store.read('rooms').collection('other').find()).toEqual([]);
    });

    it('changes nothing when the work throws', async () => {
      const store = await open();
      await store.activate(v1);
      await expect(
        store.commit(v1, START, at(1), (tx) => {
          tx.collection('rooms').put('a', { n: 1 });
          throw new Error('half way');
        }),
      ).rejects.toThrow('half way');
      expect(await store.checkpoint(v1)).toBe(START);
      expect(await store.read('rooms').collection('rooms').count()).toBe(0);
    });

    it('refuses a commit from a stale checkpoint with CONCURRENCY_CONFLICT, changing nothing', async () => {
      const store = await open();
      await store.activate(v1);
      await store.commit(v1, START, at(2), (tx) => tx.collection('rooms').put('a', { n: 1 }));
      const stale = await store
        .commit(v1, START, at(4), (tx) => tx.collection('rooms').put('a', { n: 99 }))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(isTwofoldError(stale, 'CONCURRENCY_CONFLICT')).toBe(true);
      expect(await store.checkpoint(v1)).toBe(2);
      expect(await store.read('rooms').collection('rooms').get('a')).toEqual({ n: 1 });
    });

    it('keeps versions apart, and activates a new one atomically, dropping the old', async () => {
      const store = await open();
      await store.activate(v1);
      await store.commit(v1, START, at(5), (tx) => tx.collection('rooms').put('old', { v: 1 }));
      await store.commit(v2, START, at(5), (tx) => tx.collection('rooms').put('new', { v: 2 }));
      expect(await store.read('rooms').collection('rooms').find()).toEqual([{ v: 1 }]);
      expect(await store.checkpoint(v2)).toBe(5);
      await store.activate(v2);
      expect(await store.activeVersion('rooms')).toBe(2);
      expect(await store.read('rooms').collection('rooms').find()).toEqual([{ v: 2 }]);
      expect(await store.checkpoint(v1)).toBe(START);
    });

    it('round-trips documents and finds them by field, like the in-memory store (property)', async () => {
      const store = await open();
      await store.activate(v1);
      const value = fc.oneof(
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      );
      const document = fc.record({ kind: fc.constantFrom('a', 'b', 'c'), value, text: fc.string() });
      let position = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), document, { maxKeys: 12 }),
          async (documents) => {
            const collection = `c${position}`;
            await store.commit(v1, at(position), at(position + 1), (tx) => {
              for (const [id, d] of Object.entries(documents)) tx.collection(collection).put(id, d);
            });
            position++;
            const reader = store.read('rooms').collection(collection);
            const expected = Object.entries(documents)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([, d]) => JSON.parse(JSON.stringify(d)));
            expect(await reader.find()).toEqual(expected);
            expect(await reader.find({ kind: 'b' })).toEqual(expected.filter((d) => d.kind === 'b'));
            for (const [id, d] of Object.entries(documents))
              expect(await reader.get(id)).toEqual(JSON.parse(JSON.stringify(d)));
          },
        ),
        { numRuns: 30 },
      );
    });

    documentQueryContract(open);
  });
}
