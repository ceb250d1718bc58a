import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgres as openPostgres } from '@twofold/postgres';
import { sqlite } from '@twofold/sqlite';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailView } from '../messages/queries.js';
import { type EffectFilter, type EffectStore, MemoryEffectStore } from './effect-store.js';
import { PostgresEffectStore } from './postgres-effect-store.js';
import { SqliteEffectStore } from './sqlite-effect-store.js';

let postgres: PostgresServer;
let dir: string;
let schemas = 0;
beforeAll(async () => {
  postgres = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'hotel-effects-'));
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// The effect store on the connection of a handle of its own, closed with it.
function sqliteEffects(path: string): SqliteEffectStore & { close(): Promise<void> } {
  const db = sqlite(path);
  return Object.assign(new SqliteEffectStore(db.connection), { close: () => db.close() });
}

/** The effect store on the pool of a database handle on a fresh schema, as the hotel opens it; closing closes the handle. */
async function onPostgres(schema = `effects_${++schemas}`): Promise<PostgresEffectStore & { close(): Promise<void> }> {
  const db = await openPostgres({ connection: postgres.url, schema });
  const store = await PostgresEffectStore.open(db.pool).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  return Object.assign(store, { close: () => db.close() });
}

const stores: Record<string, () => Promise<EffectStore & { close?(): void | Promise<void> }>> = {
  memory: async () => new MemoryEffectStore(),
  SQLite: async () => sqliteEffects(join(dir, `effects-${++schemas}.db`)),
  PostgreSQL: () => onPostgres(),
};

const mail = (n: number, to: string, bookingId: string): MailView => ({
  mailId: `mail-${n}`,
  bookingId,
  to,
  subject: `mail ${n}`,
  body: '',
  at: 1000 + n,
});

/** Every record matching `filter`, read a page of `limit` at a time by following each page's cursor. */
async function pageThrough(store: EffectStore, filter: EffectFilter, limit: number) {
  const pages: string[][] = [];
  let before: string | undefined;
  do {
    const page = await store.list('mails', filter, { limit, before });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page.items.map((m) => m.mailId));
    before = page.next ?? undefined;
  } while (before !== undefined);
  return pages;
}

describe.each(Object.keys(stores))('the effect store (%s)', (name) => {
  it('lists one page at a time, newest first, each cursor going on without a gap or a repeat', async () => {
    const store = await stores[name]!();
    try {
      for (let n = 1; n <= 11; n++)
        await store.put('mails', `mail-${n}`, mail(n, n % 2 === 0 ? 'ada' : 'bob', `b${n % 3}`));
      await store.put('alerts', 'alert-1', { alertId: 'alert-1', bookingId: 'b1', message: 'x', at: 5 });
      // Written again (a subscriber's redelivery): it keeps its place.
      await store.put('mails', 'mail-2', mail(2, 'ada', 'b2'));

      const all = (await pageThrough(store, {}, 4)).map((page) => page.map((id) => Number(id.slice(5))));
      expect(all).toEqual([
        [11, 10, 9, 8],
        [7, 6, 5, 4],
        [3, 2, 1],
      ]);
      expect((await pageThrough(store, { guestId: 'ada' }, 2)).flat()).toEqual([
        'mail-10',
        'mail-8',
        'mail-6',
        'mail-4',
        'mail-2',
      ]);
      expect(await pageThrough(store, { bookingId: 'b0' }, 3)).toEqual([['mail-9', 'mail-6', 'mail-3']]);
      expect(await store.list('mails', { guestId: 'nobody' }, { limit: 5 })).toEqual({ items: [], next: null });
      expect((await store.list('alerts', {}, { limit: 5 })).items.map((a) => a.alertId)).toEqual(['alert-1']);
      expect((await store.list('alerts', { bookingId: 'b1' }, { limit: 5 })).items).toHaveLength(1);
    } finally {
      await store.close?.();
    }
  });
});

const indexOf = {
  all: 'hotel_effects_by_kind',
  bookingId: 'hotel_effects_by_booking',
  guestId: 'hotel_effects_by_guest',
};

describe('the effect store plans every list as a read of the index of its filter, not a scan nor a sort', () => {
  it('on SQLite', () => {
    const store = sqliteEffects(join(dir, 'plans.db'));
    try {
      for (const [filter, plan] of Object.entries(store.plans())) {
        const index = indexOf[filter as keyof typeof indexOf];
        expect(plan.join('; '), filter).toMatch(new RegExp(`^SEARCH hotel_effects USING INDEX ${index} \\(kind=\\?`));
        expect(plan.join('; '), filter).not.toMatch(/TEMP B-TREE|SCAN/);
      }
    } finally {
      store.close();
    }
  });

  it('on PostgreSQL', async () => {
    const store = await onPostgres();
    try {
      for (const [filter, plan] of Object.entries(await store.plans())) {
        const index = indexOf[filter as keyof typeof indexOf];
        expect(plan.join('\n'), filter).toMatch(new RegExp(`Index Scan Backward using ${index} `));
        expect(plan.join('\n'), filter).not.toMatch(/Seq Scan|Sort/);
      }
    } finally {
      await store.close();
    }
  });

  it('adds the filter columns to an SQLite file from before they existed, filled from the records', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE hotel_effects (
      seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, record TEXT NOT NULL,
      UNIQUE (kind, id))`);
    old
      .prepare('INSERT INTO hotel_effects (kind, id, at, record) VALUES (?, ?, ?, ?)')
      .run('mails', 'mail-1', 1001, JSON.stringify(mail(1, 'ada', 'b1')));
    old.close();
    const store = sqliteEffects(path);
    try {
      expect((await store.list('mails', { guestId: 'ada' }, { limit: 5 })).items.map((m) => m.mailId)).toEqual([
        'mail-1',
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('the PostgreSQL effect store', () => {
  it('opened by several hotel processes at once on one new schema: they take turns creating it', async () => {
    const schema = `effects_${++schemas}`;
    const opened = await Promise.all(Array.from({ length: 4 }, () => onPostgres(schema)));
    try {
      await opened[0]!.put('mails', 'mail-1', mail(1, 'ada', 'b1'));
      for (const store of opened) {
        expect((await store.list('mails', {}, { limit: 5 })).items.map((m) => m.mailId)).toEqual(['mail-1']);
      }
    } finally {
      await Promise.all(opened.map((store) => store.close()));
    }
  });
});
