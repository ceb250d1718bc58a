import { type GlobalPosition, isTwofoldError, START } from '@twofold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../tests/temp-dir.js';
import { type SqliteDatabase, type SqliteTableStore, slotTable, sqlite } from '../index.js';

const temp = tempDir();
const open: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});
function tables(path = temp.file('tables')): SqliteTableStore {
  const db = sqlite(path);
  open.push(db);
  const store = db.tables;
  store.define('nights', (db, table) =>
    db.exec(
      `CREATE TABLE ${table('booked')} (room_id TEXT NOT NULL, night TEXT NOT NULL, PRIMARY KEY (room_id, night))`,
    ),
  );
  return store;
}
const at = (n: number) => n as GlobalPosition;
const v1 = { projection: 'nights', version: 1 };
const v2 = { projection: 'nights', version: 2 };
const BOOKED_1 = slotTable(v1, 'booked');
const BOOKED_2 = slotTable(v2, 'booked');
const nights = (store: SqliteTableStore, roomId: string) =>
  store.query('nights', (db, table) =>
    db
      .prepare(`SELECT night FROM ${table('booked')} WHERE room_id = ? ORDER BY night`)
      .pluck()
      .all(roomId),
  );

describe('SqliteTableStore', () => {
  it('hands projections the connection inside the transaction that moves their checkpoint', async () => {
    const store = tables();
    expect(BOOKED_1).toBe('"nights@1.booked"');
    expect(() => nights(store, 'r1')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    await store.activate(v1);
    expect(nights(store, 'r1')).toEqual([]);
    await store.commit(v1, START, at(2), (db) => {
      db.prepare(`INSERT INTO ${BOOKED_1} VALUES (?, ?)`).run('r1', '2025-01-02');
      db.prepare(`INSERT INTO ${BOOKED_1} VALUES (?, ?)`).run('r1', '2025-01-01');
    });
    expect(nights(store, 'r1')).toEqual(['2025-01-01', '2025-01-02']);
    expect(await store.checkpoint(v1)).toBe(2);

    const conflict = await store.commit(v1, START, at(3), () => {}).catch((e: unknown) => e);
    expect(isTwofoldError(conflict, 'CONCURRENCY_CONFLICT')).toBe(true);
    await expect(
      store.commit(v1, at(2), at(3), (db) => {
        db.prepare(`INSERT INTO ${BOOKED_1} VALUES (?, ?)`).run('r1', '2025-01-03');
        db.prepare(`INSERT INTO ${BOOKED_1} VALUES (?, ?)`).run('r1', '2025-01-01');
      }),
    ).rejects.toThrow(/UNIQUE constraint/);
    expect(nights(store, 'r1')).toEqual(['2025-01-01', '2025-01-02']);
    expect(await store.checkpoint(v1)).toBe(2);
  });

  it('creates each version its own tables, and drops the old ones when a rebuilt version is activated', async () => {
    const store = tables();
    await store.commit(v1, START, at(1), (db) => {
      db.prepare(`INSERT INTO ${BOOKED_1} VALUES ('r1', 'old')`).run();
    });
    await store.activate(v1);
    await store.commit(v2, START, at(1), (db) => {
      db.prepare(`INSERT INTO ${BOOKED_2} VALUES ('r1', 'new')`).run();
    });
    expect(nights(store, 'r1')).toEqual(['old']);
    await store.activate(v2);
    expect(nights(store, 'r1')).toEqual(['new']);
    const remaining = store.query('nights', (db) =>
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'nights@%'").pluck().all(),
    );
    expect(remaining).toEqual(['nights@2.booked']);
  });

  it('refuses a second definition and an asynchronous schema', async () => {
    const store = tables();
    expect(() => store.define('nights', () => {})).toThrow(/already defined/);
    store.define('async', async () => {});
    await expect(store.activate({ projection: 'async', version: 1 })).rejects.toThrow(/without awaiting/);
    expect(await store.activeVersion('async')).toBeUndefined();
  });
});
