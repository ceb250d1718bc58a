import { describe, expect, it } from 'vitest';
import { type GlobalPosition, START } from '../positions/position.js';
import { documentStoreContract } from '../testing/document-store-contract.js';
import { MemoryDocumentStore } from './memory-store.js';

documentStoreContract('memory', () => ({ store: new MemoryDocumentStore() }));

describe('MemoryDocumentStore', () => {
  it('keeps documents as JSON gives them back, like the durable stores', async () => {
    const store = new MemoryDocumentStore();
    const slot = { projection: 'p', version: 1 };
    await store.activate(slot);
    await store.commit(slot, START, 1 as GlobalPosition, (tx) => {
      tx.collection('c').put('a', { zero: -0, gone: undefined, when: new Date(0) });
      expect(() => tx.collection('c').put('b', undefined as never)).toThrow(/must be a JSON value/);
    });
    const stored = await store.read('p').collection<{ zero: number }>('c').get('a');
    expect(stored).toEqual({ zero: 0, when: '1970-01-01T00:00:00.000Z' });
    expect(Object.is(stored?.zero, -0)).toBe(false);
  });
});
