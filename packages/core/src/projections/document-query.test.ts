import { describe, expect, it } from 'vitest';
import { isDocumentCursor } from './document-query.js';
import { MemoryDocumentStore } from './memory-store.js';

describe('document cursors', () => {
  it('tells a next a page answered from a made-up or foreign cursor', async () => {
    const store = new MemoryDocumentStore();
    const slot = { projection: 'p', version: 1 };
    await store.activate(slot);
    await store.commit(slot, 0 as never, 1 as never, (tx) => {
      for (const id of ['a', 'b', 'c']) tx.collection('c').put(id, { from: `2030-01-0${id.charCodeAt(0) - 96}` });
    });
    const { next } = await store
      .read('p')
      .collection<{ from: string }>('c')
      .page(undefined, { orderBy: { field: 'from' }, limit: 1 });
    expect(isDocumentCursor(next, { field: 'from' })).toBe(true);
    expect(isDocumentCursor(next, { field: 'from', direction: 'desc' })).toBe(false);
    expect(isDocumentCursor(next)).toBe(false);
    for (const cursor of ['p1', '', 'x'.repeat(5000), 'e30', '2030-01-01/b1', 42, null]) {
      expect(isDocumentCursor(cursor, { field: 'from' }), String(cursor)).toBe(false);
    }
  });
});
