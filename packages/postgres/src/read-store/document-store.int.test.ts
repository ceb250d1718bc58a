import {
  type DocumentTx,
  defineEvent,
  type GlobalPosition,
  inlineProjection,
  isTwofoldError,
  ProjectionRunner,
  projection,
  START,
  streamId,
} from '@twofold/core';
import { documentQuery } from '@twofold/core/adapters';
import { documentStoreContract } from '@twofold/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usePostgres } from '../../tests/server.js';
import { type PostgresDocumentStore, type PostgresStore, postgres } from '../index.js';
import { selectStatement } from './document-query.js';

const server = usePostgres();

documentStoreContract('PostgresDocumentStore', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { store: db.documents, close: () => db.close() };
});

/** The write store and the document store of one database handle, closed after the test. */
async function openWithLog(): Promise<{ writes: PostgresStore; views: PostgresDocumentStore }> {
  const db = await server.database();
  return { writes: db.events, views: db.documents };
}
async function open(schema = server.schema()): Promise<PostgresDocumentStore> {
  return (await server.database({ schema })).documents;
}
const v1 = { projection: 'rooms', version: 1 };
const at = (n: number) => n as GlobalPosition;

describe('PostgresDocumentStore', () => {
  it('filters on fields with an index, the plan using it', async () => {
    const schema = server.schema();
    const store = await open(schema);
    await store.index('rooms', 'rooms', ['floor']);
    await store.index('rooms', 'rooms', ['floor']);
    await store.activate(v1);
    await store.commit(v1, START, at(1), async (tx: DocumentTx) => {
      for (let i = 0; i < 500; i++) tx.collection('rooms').put(`r${i}`, { floor: i % 10, tags: [i % 3] });
    });
    const rooms = store.read('rooms').collection<{ floor: number }>('rooms');
    expect(await rooms.count({ floor: 3 })).toBe(50);
    expect((await rooms.find({ floor: 3, tags: [0] } as never)).length).toBe(17);
    const client = new pg.Client({ connectionString: server.url, options: `-c search_path=${schema}` });
    await client.connect();
    await client.query('ANALYZE twofold_documents');
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query(
      `EXPLAIN SELECT data FROM twofold_documents WHERE projection = 'rooms' AND version = 1 AND collection = 'rooms' AND data -> 'floor' = '3'::jsonb`,
    );
    await client.end();
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/twofold_documents_[0-9a-f]{24}/);
  });

  it('reads an ordered page as a range of an index that orders by the field, sorting nothing', async () => {
    const schema = server.schema();
    const store = await open(schema);
    await store.index('bookings', 'bookings', { fields: ['guestId'], orderBy: 'bookedAt' });
    const slot = { projection: 'bookings', version: 1 };
    await store.activate(slot);
    await store.commit(slot, START, at(1), async (tx: DocumentTx) => {
      for (let i = 0; i < 400; i++) {
        tx.collection('bookings').put(`b${i}`, { id: `b${i}`, guestId: `g${i % 4}`, bookedAt: 1000 + (i % 50) });
      }
    });
    const reader = store.read('bookings').collection<{ id: string; guestId: string; bookedAt: number }>('bookings');
    const orderBy = { field: 'bookedAt', direction: 'desc' } as const;
    const first = await reader.page({ guestId: 'g1' }, { orderBy, limit: 20 });
    const g1 = [...Array(400).keys()]
      .filter((i) => i % 4 === 1)
      .map((i) => ({ id: `b${i}`, guestId: 'g1', bookedAt: 1000 + (i % 50) }))
      .sort((a, b) => b.bookedAt - a.bookedAt || (a.id < b.id ? 1 : -1));
    expect(first.items).toEqual(g1.slice(0, 20));
    const second = await reader.page({ guestId: 'g1' }, { orderBy, limit: 20, after: first.next! });
    expect(second.items).toEqual(g1.slice(20, 40));
    const client = new pg.Client({ connectionString: server.url, options: `-c search_path=${schema}` });
    await client.connect();
    await client.query('ANALYZE twofold_documents');
    // Whether the index can serve the order, however few rows the planner expects: sorting is its last resort.
    await client.query('SET enable_seqscan = off');
    await client.query('SET enable_sort = off');
    for (const after of [undefined, first.next!]) {
      const query = documentQuery({ orderBy, limit: 20, ...(after === undefined ? {} : { after }) }, 'test', true);
      const scope = 'projection = $1 AND version = 1 AND collection = $2';
      const where = { guestId: 'g1' };
      const { text, values } = selectStatement({
        scope,
        projection: 'bookings',
        collection: 'bookings',
        where,
        query,
        extra: 1,
      });
      const { rows } = await client.query(`EXPLAIN ${text}`, values);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan Backward using twofold_documents_[0-9a-f]{24}/);
      expect(plan).toMatch(/Index Cond: .*guestId/);
      expect(plan).not.toMatch(/Sort/);
    }
    await client.end();
  });

  it('applies a batch once when two nodes race for it: the second gets CONCURRENCY_CONFLICT', async () => {
    const schema = server.schema();
    const [a, b] = [await open(schema), await open(schema)];
    await a.activate(v1);
    const apply = (store: PostgresDocumentStore) =>
      store.commit(v1, START, at(5), async (tx: DocumentTx) => {
        const counter = tx.collection<{ n: number }>('counter');
        const current = await counter.get('c');
        await new Promise((resolve) => setTimeout(resolve, 20));
        counter.put('c', { n: (current?.n ?? 0) + 1 });
      });
    const outcomes = await Promise.allSettled([apply(a), apply(b)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(isTwofoldError(failed.reason, 'CONCURRENCY_CONFLICT')).toBe(true);
    expect(await a.read('rooms').collection('counter').get('c')).toEqual({ n: 1 });
  });

  it('fails the commit, changing nothing, when a write sent without awaiting fails', async () => {
    const store = await open();
    await store.activate(v1);
    await expect(
      store.commit(v1, START, at(1), (tx: DocumentTx) => {
        tx.collection('rooms').put('ok', { n: 1 });
        tx.collection('rooms').put('bad', { text: 'nul \u0000 inside' });
      }),
    ).rejects.toThrow(/NUL character/);
    expect(await store.checkpoint(v1)).toBe(START);
    expect(await store.read('rooms').collection('rooms').count()).toBe(0);
  });

  it('stores the text backslash-u0000, which is no NUL, and still refuses a NUL after backslashes', async () => {
    const store = await open();
    await store.activate(v1);
    const texts = ['\\u0000', '\\\\u0000', 'a\\u0000b'];
    await store.commit(v1, START, at(1), (tx: DocumentTx) => {
      for (const [i, text] of texts.entries()) tx.collection('notes').put(`n${i}`, { text });
    });
    const notes = store.read('rooms').collection<{ text: string }>('notes');
    expect(await Promise.all(texts.map((_, i) => notes.get(`n${i}`)))).toEqual(texts.map((text) => ({ text })));
    await expect(
      store.commit(v1, at(1), at(2), (tx: DocumentTx) => tx.collection('notes').put('bad', { text: '\\\0' })),
    ).rejects.toThrow(/NUL character/);
  });

  it('applies a projection inline, in the transaction of the command on the PostgreSQL write store', async () => {
    const { writes, views } = await openWithLog();
    const Noted = defineEvent('test.Noted', z.object({ id: z.string(), text: z.string() }));
    const notes = projection<DocumentTx>('notes').on(Noted, async ({ id, text }, tx) => {
      const collection = tx.collection<{ text: string }>('notes');
      if ((await collection.get(id)) !== undefined) throw new Error(`note ${id} exists`);
      collection.put(id, { text });
    });
    const inline = inlineProjection(notes, views);
    await new ProjectionRunner({ projection: notes, store: views, feed: writes }).catchUp();
    const note = (id: string) =>
      writes.commit({
        appends: [
          {
            streamId: streamId('note', id),
            expectedVersion: 'any',
            events: [{ type: Noted.type, data: { id, text: id } }],
          },
        ],
        participants: [inline.participant],
      });
    const { position } = await note('a');
    expect(await views.read('notes').collection('notes').get('a')).toEqual({ text: 'a' });
    expect(await views.checkpoint({ projection: 'notes', version: 1 })).toBe(position);
    await expect(note('a')).rejects.toThrow('note a exists');
    expect(await writes.streamVersion(streamId('note', 'a'))).toBe(1);
    expect(await views.checkpoint({ projection: 'notes', version: 1 })).toBe(position);
  });

  it('refuses to apply inline in the transaction of another handle, even on the same schema, and writes nothing', async () => {
    const schema = server.schema();
    const [one, other] = [await server.database({ schema }), await server.database({ schema })];
    const Noted = defineEvent('test.Noted', z.object({ id: z.string() }));
    const notes = projection<DocumentTx>('notes').on(Noted, ({ id }, tx) => tx.collection('notes').put(id, { id }));
    const commit = one.events.commit({
      appends: [
        { streamId: streamId('note', 'a'), expectedVersion: 'any', events: [{ type: Noted.type, data: { id: 'a' } }] },
      ],
      participants: [inlineProjection(notes, other.documents).participant],
    });
    await expect(commit).rejects.toThrow(
      /PostgresDocumentStore.takeTurn\(\): the transaction is not one of this store's database handle/,
    );
    expect(await one.events.streamVersion(streamId('note', 'a'))).toBe(0);
    expect(await other.documents.checkpoint({ projection: 'notes', version: 1 })).toBe(START);
  });

  it('reports the lag of a runner in events, though positions have gaps', async () => {
    const { writes, views } = await openWithLog();
    const Counted = defineEvent('test.Counted', z.object({ n: z.number() }));
    let failAt = 4;
    const counted = projection<DocumentTx>('counted').on(Counted, ({ n }, tx) => {
      if (n === failAt) throw new Error(`cannot count ${n}`);
      tx.collection('n').put(String(n), { n });
    });
    for (let n = 1; n <= 6; n++) await writes.append(streamId('c', n), [{ type: Counted.type, data: { n } }]);
    const runner = new ProjectionRunner({
      projection: counted,
      store: views,
      feed: writes,
      batchSize: 2,
      retryDelayMs: 5,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    runner.start();
    await expect.poll(async () => (await runner.status()).state, { timeout: 5_000 }).toBe('failing');
    const status = await runner.status();
    expect(status.lagEvents).toBe(3);
    expect(status.head - status.position).toBeGreaterThan(3 * 16_000);
    failAt = 0;
    await expect.poll(async () => (await runner.status()).lagEvents, { timeout: 5_000 }).toBe(0);
    await runner.stop();
  });

  it('never moves an inline checkpoint back when commits take the slot out of position order', async () => {
    const { writes, views } = await openWithLog();
    const Noted = defineEvent('test.Noted', z.object({ id: z.string() }));
    const notes = projection<DocumentTx>('notes').on(Noted, ({ id }, tx) => {
      tx.collection('notes').put(id, { id });
    });
    const inline = inlineProjection(notes, views);
    await new ProjectionRunner({ projection: notes, store: views, feed: writes }).catchUp();
    const note = (id: string, delay: number) =>
      writes.commit({
        appends: [
          { streamId: streamId('note', id), expectedVersion: 'any', events: [{ type: Noted.type, data: { id } }] },
        ],
        // The first commit takes its position first and the slot's lock last.
        participants: [() => new Promise<void>((resolve) => setTimeout(resolve, delay)), inline.participant],
      });
    const [first, second] = await Promise.all([note('slow', 80), note('fast', 0)]);
    expect(first.position!).toBeLessThan(second.position!);
    expect(await views.checkpoint({ projection: 'notes', version: 1 })).toBe(second.position);
    expect(await views.read('notes').collection('notes').count()).toBe(2);
  });

  it('declares the same index from several nodes at once', async () => {
    const schema = server.schema();
    const nodes = await Promise.all([open(schema), open(schema), open(schema)]);
    await Promise.all(nodes.map((store) => store.index('rooms', 'rooms', ['floor'])));
  });

  it('refuses bad names, versions and documents with clear errors', async () => {
    const store = await open();
    await expect(store.checkpoint({ projection: 'rooms', version: 0 })).rejects.toThrow(/integer >= 1/);
    await expect(store.activeVersion('' as never)).rejects.toThrow(/projection or its name/);
    await expect(store.index('rooms', 'rooms', [])).rejects.toThrow(/non-empty array of field names/);
    await expect(
      store.commit(v1, START, at(1), (tx: DocumentTx) => tx.collection('rooms').put('x', 42 as never)),
    ).rejects.toThrow(/must be a JSON object/);
    expect(() => store.read('rooms').collection('')).toThrow(/collection name must be a non-empty string/);
  });
});
