import { type DocumentTx, type GlobalPosition, isTwofoldError, MemoryDocumentStore, START } from '@twofold/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { rawDatabase } from '../../tests/raw-database.js';
import { tempDir } from '../../tests/temp-dir.js';
import { type SqliteDatabase, type SqliteDocumentStore, sqlite } from '../index.js';
import { DocumentTables, documentTable } from './document-tables.js';

const temp = tempDir();
const open = new Map<SqliteDocumentStore, SqliteDatabase>();
afterEach(() => {
  for (const db of open.values()) db.close();
  open.clear();
});
function documents(path = temp.file('read')): SqliteDocumentStore {
  const db = sqlite(path);
  open.set(db.documents, db);
  return db.documents;
}
// Closes the handle a store of documents() is on.
function close(store: SqliteDocumentStore): void {
  open.get(store)?.close();
}

const v1 = { projection: 'rooms', version: 1 };
const v2 = { projection: 'rooms', version: 2 };
const at = (n: number) => n as GlobalPosition;

interface Room {
  readonly id: string;
  readonly floor: number;
  readonly kind: string;
  readonly tags?: readonly string[];
  readonly clean?: boolean;
}

describe('SqliteDocumentStore', () => {
  it('commits documents and the checkpoint together, and reads its own writes inside the transaction', async () => {
    const store = documents();
    expect(await store.checkpoint(v1)).toBe(START);
    await store.commit(v1, START, at(3), async (tx) => {
      const rooms = tx.collection<Room>('rooms');
      rooms.put('r2', { id: 'r2', floor: 1, kind: 'double' });
      rooms.put('r1', { id: 'r1', floor: 1, kind: 'single', clean: true });
      rooms.put('r3', { id: 'r3', floor: 2, kind: 'double', tags: ['view'] });
      expect(await rooms.count()).toBe(3);
      expect(await rooms.update('r2', { kind: 'suite' })).toBe(true);
      expect(await rooms.update('missing', { kind: 'suite' })).toBe(false);
      expect((await rooms.get('r2'))?.kind).toBe('suite');
    });
    await store.activate(v1);
    expect(await store.checkpoint(v1)).toBe(3);
    const rooms = store.read('rooms').collection<Room>('rooms');
    expect((await rooms.find()).map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
    expect((await rooms.find({ floor: 1 })).map((r) => r.id)).toEqual(['r1', 'r2']);
    expect((await rooms.find({ floor: 1, kind: 'suite' })).map((r) => r.id)).toEqual(['r2']);
    expect(await rooms.count({ tags: ['view'] })).toBe(1);
    expect(await rooms.count({ clean: true })).toBe(1);
    expect(await rooms.count({ clean: undefined })).toBe(2);
    expect(await rooms.get('r3')).toEqual({ id: 'r3', floor: 2, kind: 'double', tags: ['view'] });
    expect(await store.read('rooms').collection('never-written').find()).toEqual([]);
    expect(await store.read('other').collection('rooms').count()).toBe(0);

    await store.commit(v1, at(3), at(4), (tx) => tx.collection('rooms').delete('r1'));
    expect(await rooms.count()).toBe(2);
  });

  it('refuses a commit from a stale checkpoint, and a failing batch, changing nothing', async () => {
    const store = documents();
    await store.commit(v1, START, at(2), (tx) => tx.collection('rooms').put('r1', { id: 'r1' }));
    await store.activate(v1);
    const stale = await store
      .commit(v1, START, at(5), (tx) => tx.collection('rooms').put('r2', { id: 'r2' }))
      .catch((e: unknown) => e);
    expect(isTwofoldError(stale, 'CONCURRENCY_CONFLICT')).toBe(true);
    await expect(
      store.commit(v1, at(2), at(3), (tx) => {
        tx.collection('rooms').put('r3', { id: 'r3' });
        tx.collection('new').put('x', { id: 'x' });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    await expect(
      store.commit(v1, at(2), at(3), async (tx) => {
        tx.collection('rooms').put('r4', { id: 'r4' });
        await Promise.resolve();
        throw new Error('async handler failed');
      }),
    ).rejects.toThrow('async handler failed');
    expect(await store.checkpoint(v1)).toBe(2);
    expect(await store.read('rooms').collection('rooms').find()).toEqual([{ id: 'r1' }]);
    expect(await store.read('rooms').collection('new').count()).toBe(0);
  });

  it('applies an asynchronous batch at its end, and refuses it if another runner moved the slot meanwhile', async () => {
    const store = documents();
    await store.activate(v1);
    await store.commit(v1, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1', n: 1 }));
    await store.commit(v1, at(1), at(2), async (tx) => {
      const rooms = tx.collection<{ id: string; n: number }>('rooms');
      // A turn of the event loop inside the batch: it spans more than one task.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await rooms.update('r1', { n: 2 })).toBe(true);
      rooms.put('r2', { id: 'r2', n: 1 });
      expect(await rooms.find({ n: 1 })).toEqual([{ id: 'r2', n: 1 }]);
      // Not visible to queries until the batch ends.
      expect(await store.read('rooms').collection('rooms').get('r2')).toBeUndefined();
    });
    expect(await store.read('rooms').collection('rooms').find()).toEqual([
      { id: 'r1', n: 2 },
      { id: 'r2', n: 1 },
    ]);
    let release!: () => void;
    const slow = store.commit(v1, at(2), at(3), async (tx) => {
      tx.collection('rooms').delete('r1');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await store.commit(v1, at(2), at(3), (tx) => tx.collection('rooms').put('r3', { id: 'r3', n: 3 }));
    release();
    expect(isTwofoldError(await slow.catch((e: unknown) => e), 'CONCURRENCY_CONFLICT')).toBe(true);
    expect(await store.read('rooms').collection('rooms').count()).toBe(3);
  });

  it('keeps serving the active version while another fills, then swaps atomically and drops the old one', async () => {
    const path = temp.file('read');
    const store = documents(path);
    await store.commit(v1, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1', version: 1 }));
    await store.activate(v1);
    await store.commit(v2, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1', version: 2 }));
    expect(await store.activeVersion('rooms')).toBe(1);
    expect(await store.read('rooms').collection('rooms').get('r1')).toEqual({ id: 'r1', version: 1 });
    const reader = store.read('rooms');
    await store.activate(v2);
    expect(await store.activeVersion('rooms')).toBe(2);
    expect(await reader.collection('rooms').get('r1')).toEqual({ id: 'r1', version: 2 });
    expect(await store.checkpoint(v1)).toBe(START);
    const raw = rawDatabase(path);
    const tables = raw
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'twofold_doc:%'")
      .pluck()
      .all();
    raw.close();
    expect(tables).toEqual(['twofold_doc:rooms@2:rooms']);
  });

  it('answers reads made before a collection existed, before a version was active, and across a swap, on one connection', async () => {
    const store = documents();
    const reader = store.read('rooms');
    expect(await reader.collection('rooms').get('r1')).toBeUndefined();
    await store.activate(v1);
    expect(await reader.collection('rooms').count()).toBe(0);
    await store.commit(v1, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1', version: 1 }));
    expect(await reader.collection('rooms').get('r1')).toEqual({ id: 'r1', version: 1 });
    await store.commit(v2, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1', version: 2 }));
    expect(await reader.collection('rooms').get('r1')).toEqual({ id: 'r1', version: 1 });
    await store.activate(v2);
    expect(await reader.collection('rooms').get('r1')).toEqual({ id: 'r1', version: 2 });
  });

  it("sees another connection's new collection, new documents and swap, after having read", async () => {
    const path = temp.file('read');
    const queries = documents(path);
    const writer = documents(path);
    const reader = queries.read('rooms');
    expect(await reader.collection('rooms').find()).toEqual([]);
    await writer.commit(v1, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1', version: 1 }));
    await writer.activate(v1);
    expect(await reader.collection('rooms').get('r1')).toEqual({ id: 'r1', version: 1 });
    expect(await reader.collection('guests').count()).toBe(0);
    await writer.commit(v1, at(1), at(2), (tx) => tx.collection('guests').put('g1', { id: 'g1' }));
    expect(await reader.collection('guests').count()).toBe(1);
    // A rebuild on the other connection: filled beside the active version, then swapped in and the old dropped.
    await writer.commit(v2, START, at(2), (tx) => tx.collection('rooms').put('r1', { id: 'r1', version: 2 }));
    expect(await reader.collection('rooms').get('r1')).toEqual({ id: 'r1', version: 1 });
    await writer.activate(v2);
    expect(await reader.collection('rooms').get('r1')).toEqual({ id: 'r1', version: 2 });
    expect(await reader.collection('guests').count()).toBe(0);
  });

  it('sees a swap committed by a connection that is no Twofold store, as another process would make it', async () => {
    const path = temp.file('read');
    const queries = documents(path);
    const writer = documents(path);
    await writer.commit(v1, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1', version: 1 }));
    await writer.activate(v1);
    expect(await queries.read('rooms').collection('rooms').get('r1')).toEqual({ id: 'r1', version: 1 });
    // What a rebuild in another process leaves behind, written with plain SQL on a connection Twofold knows nothing of.
    const raw = rawDatabase(path);
    raw.exec(`
      BEGIN;
      CREATE TABLE "twofold_doc:rooms@2:rooms" (id TEXT PRIMARY KEY, document TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO "twofold_doc:rooms@2:rooms" VALUES ('r1', '{"id":"r1","version":2}');
      INSERT INTO twofold_document_collections VALUES ('rooms', 2, 'rooms');
      UPDATE twofold_projection_active SET version = 2 WHERE projection = 'rooms';
      DROP TABLE "twofold_doc:rooms@1:rooms";
      COMMIT;
    `);
    raw.close();
    expect(await queries.read('rooms').collection('rooms').get('r1')).toEqual({ id: 'r1', version: 2 });
  });

  it('keeps documents and checkpoints across a reopen', async () => {
    const path = temp.file('read');
    const first = documents(path);
    await first.commit(v1, START, at(7), (tx) => tx.collection('rooms').put('r1', { id: 'r1', name: 'Zoë 🏨' }));
    await first.activate(v1);
    close(first);
    const again = documents(path);
    expect(await again.checkpoint(v1)).toBe(7);
    expect(await again.activeVersion('rooms')).toBe(1);
    expect(await again.read({ name: 'rooms' }).collection('rooms').get('r1')).toEqual({ id: 'r1', name: 'Zoë 🏨' });
  });

  it('uses declared expression indexes for equality lookups, on existing and future versions', async () => {
    const path = temp.file('read');
    const store = documents(path);
    await store.commit(v1, START, at(1), (tx) => {
      for (let i = 0; i < 50; i++) tx.collection('rooms').put(`r${i}`, { id: `r${i}`, floor: i % 5, kind: 'x' });
    });
    await store.activate(v1);
    store.index('rooms', 'rooms', ['floor']);
    store.index('rooms', 'rooms', ['floor']);
    store.index({ name: 'rooms' }, 'bookings', ['roomId', 'night']);
    await store.commit(v2, START, at(1), (tx) => tx.collection('bookings').put('b1', { roomId: 'r1', night: 3 }));
    const raw = rawDatabase(path);
    const plan = (sql: string) =>
      raw
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    expect(
      plan(`SELECT id, document FROM "twofold_doc:rooms@1:rooms" WHERE document -> '$.floor' = '2' ORDER BY id`),
    ).toMatch(/USING INDEX/);
    expect(
      plan(
        `SELECT count(*) FROM "twofold_doc:rooms@2:bookings" WHERE document -> '$.roomId' = '"r1"' AND document -> '$.night' = '3'`,
      ),
    ).toMatch(/USING (COVERING )?INDEX/);
    raw.close();
    expect(await store.read('rooms').collection<Room>('rooms').count({ floor: 2 })).toBe(10);
    expect(() => store.index('rooms', 'rooms', ['a.b'])).toThrow(/top-level field names/);
    expect(() => store.index('rooms', 'rooms', [])).toThrow(/non-empty array/);
  });

  it('reads an ordered page as a range of an index that orders by the field, for any page', async () => {
    const path = temp.file('read');
    const store = documents(path);
    store.index('bookings', 'bookings', { fields: ['guestId'], orderBy: 'bookedAt' });
    store.index('bookings', 'bookings', { orderBy: 'bookedAt' });
    const slot = { projection: 'bookings', version: 1 };
    await store.commit(slot, START, at(1), (tx) => {
      for (let i = 0; i < 200; i++) {
        tx.collection('bookings').put(`b${i}`, { id: `b${i}`, guestId: `g${i % 4}`, bookedAt: 1000 + (i % 50) });
      }
    });
    await store.activate(slot);
    const reader = store.read('bookings').collection<{ id: string; guestId: string; bookedAt: number }>('bookings');
    const orderBy = { field: 'bookedAt', direction: 'desc' } as const;
    const first = await reader.page({ guestId: 'g1' }, { orderBy, limit: 20 });
    const g1 = [...Array(200).keys()]
      .filter((i) => i % 4 === 1)
      .map((i) => ({ id: `b${i}`, guestId: 'g1', bookedAt: 1000 + (i % 50) }))
      .sort((a, b) => b.bookedAt - a.bookedAt || (a.id < b.id ? 1 : -1));
    expect(first.items).toEqual(g1.slice(0, 20));
    expect((await reader.page({ guestId: 'g1' }, { orderBy, limit: 20, after: first.next! })).items).toEqual(
      g1.slice(20, 40),
    );
    const raw = rawDatabase(path);
    const tables = new DocumentTables(raw);
    const table = documentTable(slot, 'bookings');
    for (const [where, after] of [
      [{ guestId: 'g1' }, undefined],
      [{ guestId: 'g1' }, first.next!],
      [undefined, undefined],
    ] as const) {
      const cursor = where === undefined ? undefined : after;
      const plan = tables.plan(table, where, {
        orderBy,
        limit: 20,
        ...(cursor === undefined ? {} : { after: cursor }),
      });
      expect(plan.join('; ')).toMatch(/USING INDEX .*order:bookedAt/);
      expect(plan.join('; ')).not.toMatch(/TEMP B-TREE/);
    }
    expect(tables.plan(table, undefined, { limit: 20 }).join('; ')).not.toMatch(/TEMP B-TREE/);
    raw.close();
    expect(() => store.index('bookings', 'bookings', { orderBy: 'a.b' })).toThrow(/top-level field name/);
    expect(() => store.index('bookings', 'bookings', { fields: ['a-b'], orderBy: 'x' })).toThrow(
      /top-level field names/,
    );
  });

  it('names the collection and the document when a stored document is corrupt', async () => {
    const path = temp.file('read');
    const store = documents(path);
    await store.commit(v1, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1' }));
    await store.activate(v1);
    const raw = rawDatabase(path);
    raw.prepare(`UPDATE "twofold_doc:rooms@1:rooms" SET document = '{"id": ' WHERE id = 'r1'`).run();
    raw.close();
    const read = () => store.read('rooms').collection('rooms').get('r1');
    await expect(read()).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    await expect(read()).rejects.toThrow(/Document r1 in twofold_doc:rooms@1:rooms holds corrupt JSON/);
  });

  it('finds and counts exactly like the in-memory store, for any documents and filters (property)', async () => {
    const value = fc.oneof(
      fc.constantFrom('a', 'b', '1', 'Zoë', 'x"y\\z', '\u2028', '', 'true', 'null'),
      fc.constantFrom(0, 1, -1, 2.5, 1e21, 1e-7),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom([1, 'a'], { k: 1 }, { k: 1, j: [true] }, []),
    );
    const field = fc.constantFrom('a', 'b', 'c', 'odd key', 'd.e');
    const doc = fc.dictionary(field, value, { maxKeys: 4 });
    const where = fc.dictionary(field, fc.oneof(value, fc.constant(undefined)), { maxKeys: 2 });
    const path = temp.file('read');
    const store = documents(path);
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(doc, { maxLength: 12 }),
        fc.array(where, { minLength: 1, maxLength: 5 }),
        async (docs, filters) => {
          const slot = { projection: `p${++round}`, version: 1 };
          const memory = new MemoryDocumentStore();
          const fill = (tx: DocumentTx) => {
            docs.forEach((d, i) => {
              tx.collection('c').put(`d${String(i).padStart(2, '0')}`, d);
            });
          };
          await memory.commit(slot, START, at(1), fill);
          await memory.activate(slot);
          await store.commit(slot, START, at(1), fill);
          await store.activate(slot);
          const expected = memory.read(slot.projection).collection('c');
          const actual = store.read(slot.projection).collection('c');
          for (const filter of filters) {
            expect(await actual.find(filter)).toEqual(await expected.find(filter));
            expect(await actual.count(filter)).toBe(await expected.count(filter));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
