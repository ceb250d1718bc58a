import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type GlobalPosition,
  isTwofoldError,
  type NewEvent,
  START,
  streamId,
  type Upcaster,
  upcaster,
} from '@twofold/core';
import { eventStoreContract, stateStoreContract } from '@twofold/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pragma, rawDatabase } from '../../tests/raw-database.js';
import { tempDir } from '../../tests/temp-dir.js';
import { migrate } from '../connection/migrations.js';
import { type SqliteConnection, type SqliteDatabase, type SqliteOptions, type SqliteStore, sqlite } from '../index.js';
import { eventStoreMigrations } from './schema.js';

const temp = tempDir();
const onFile = ({ upcasters }: { upcasters: readonly Upcaster[] }) => {
  const db = sqlite({ path: temp.file('store'), upcasters });
  return { store: db.events, close: () => db.close() };
};

eventStoreContract('SqliteStore (file)', onFile);
stateStoreContract('SqliteStore (file)', onFile);
eventStoreContract('SqliteStore (:memory:)', ({ upcasters }) => {
  const db = sqlite({ path: ':memory:', upcasters });
  return { store: db.events, close: () => db.close() };
});

const opened: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});
function open(options: SqliteOptions = {}): SqliteStore {
  const db = sqlite({ path: temp.file('store'), ...options });
  opened.push(db);
  const store = db.events;
  return store;
}
const events = (count: number): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'test.Happened', data: { n: i + 1 } }));
const s = streamId('order', '1');

describe('SqliteStore', () => {
  it('creates its folder, runs in WAL with the chosen durability, and records its migrations once', () => {
    const path = join(temp.dir, 'nested', 'deeper', 'write.db');
    const first = sqlite({ path, synchronous: 'FULL' });
    first.close();
    first.close();
    const again = open({ path });
    expect(again.path).toBe(path);
    const raw = rawDatabase(path);
    expect(pragma(raw, 'journal_mode')).toBe('wal');
    expect(
      raw.prepare("SELECT component, version FROM twofold_migrations WHERE component = 'event-store'").all(),
    ).toEqual([
      { component: 'event-store', version: 1 },
      { component: 'event-store', version: 2 },
    ]);
    raw.prepare("UPDATE twofold_migrations SET version = 99 WHERE component = 'event-store' AND version = 2").run();
    raw.close();
    expect(() => sqlite({ path })).toThrow(/at version 99, newer than this @twofold\/sqlite knows \(2\)/);
    expect(() => sqlite({ path: ':memory:', synchronous: 'OFF' as never })).toThrow(/'NORMAL' or 'FULL'/);
    expect(() => sqlite({ path: ':memory:', pollIntervalMs: 0 })).toThrow(/pollIntervalMs/);
  });

  it('migrates idempotency records stored before they named their command: found without a type, and pruned', async () => {
    const path = temp.file('store');
    const raw = rawDatabase(path);
    migrate(raw, 'event-store', eventStoreMigrations.slice(0, 1));
    raw
      .prepare(`INSERT INTO twofold_idempotency (key, result, position, at) VALUES ('old', '{"ok":true}', 7, 1)`)
      .run();
    raw.close();
    const store = open({ path });
    expect(await store.find('old')).toEqual({
      key: 'old',
      commandType: undefined,
      fingerprint: undefined,
      result: { ok: true },
      position: 7,
    });
    expect(await store.pruneIdempotency(2, Number.POSITIVE_INFINITY)).toBe(1);
    expect(await store.find('old')).toBeUndefined();
  });

  it('applies the chosen synchronous setting to its connection', () => {
    const path = temp.file('store');
    const store = open({ path, synchronous: 'FULL' });
    const captured: unknown[] = [];
    return store
      .commit({
        participants: [(db) => void captured.push(pragma(db, 'synchronous'))],
      })
      .then(() => expect(captured).toEqual([2]));
  });

  it('opens its connection with a page cache of 2,000 KiB on either driver, which the connection can change', () => {
    // better-sqlite3's own build would cache up to 16,000 KiB per connection.
    const db = sqlite({ path: temp.file('store') });
    opened.push(db);
    expect(pragma(db.connection, 'cache_size')).toBe(-2000);
    db.connection.exec('PRAGMA cache_size = -16000');
    expect(pragma(db.connection, 'cache_size')).toBe(-16000);
  });

  it('runs participants inside the transaction, where they write with SQL, all or nothing', async () => {
    const path = temp.file('store');
    const store = open({ path });
    const raw = rawDatabase(path);
    raw.exec('CREATE TABLE outbox (position INTEGER, type TEXT)');
    raw.close();
    const outbox = (db: SqliteConnection, recorded: readonly { position: GlobalPosition; type: string }[]) => {
      for (const e of recorded) db.prepare('INSERT INTO outbox VALUES (?, ?)').run(e.position, e.type);
    };
    await store.commit({
      appends: [{ streamId: s, expectedVersion: 'no-stream', events: events(2) }],
      participants: [outbox],
    });
    const failing = store.commit({
      appends: [{ streamId: s, expectedVersion: 2, events: events(1) }],
      states: [{ collection: 'guest', id: 'g1', expectedVersion: 0, state: { name: 'Ada' } }],
      idempotency: { key: 'cmd-1', commandType: 'test.Order', fingerprint: 'f', result: 1 },
      participants: [
        outbox,
        () => {
          throw new Error('second participant failed');
        },
      ],
    });
    await expect(failing).rejects.toThrow('second participant failed');
    const asynchronous = store.commit({
      appends: [{ streamId: s, expectedVersion: 2, events: events(1) }],
      participants: [outbox, async () => {}],
    });
    await expect(asynchronous).rejects.toThrow(
      /Unit-of-work participant #2 returned a promise: SQLite transactions are synchronous/,
    );
    expect(await store.head()).toBe(2);
    expect(await store.load('guest', 'g1')).toBeUndefined();
    expect(await store.find('cmd-1')).toBeUndefined();
    const check = rawDatabase(path);
    expect(check.prepare('SELECT position FROM outbox').pluck().all()).toEqual([1, 2]);
    check.close();
    // A rolled back commit leaves no hole in the global order.
    expect((await store.append(s, events(1), { expectedVersion: 2 })).position).toBe(3);
  });

  it('names the stream and the position of an event whose stored JSON is corrupt', async () => {
    const path = temp.file('store');
    const store = open({ path });
    await store.append(streamId('a', 1), events(1));
    await store.append(s, events(2));
    const raw = rawDatabase(path);
    raw.prepare(`UPDATE twofold_events SET data = '{"n": 2' WHERE position = 3`).run();
    raw.close();
    const message = /The data of event test\.Happened at position 3 of stream order-1 \(version 2\) holds corrupt JSON/;
    await expect(store.readStream(s)).rejects.toThrow(message);
    await expect(store.readAll(START, 10)).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
    await expect(store.readAll(START, 10)).rejects.toThrow(message);
    expect(await store.readStream(s, { limit: 1 })).toHaveLength(1);
  });

  it('wakes a waiting reader when another connection appends to the file', async () => {
    const path = temp.file('store');
    const reader = open({ path, pollIntervalMs: 20 });
    const writer = open({ path });
    // The reader is waiting once the call returns; it settles only when its poll sees the other connection's append
    // (or, failing that, when the signal aborts, which fails the test).
    let settled = false;
    const waiting = reader.waitForEvents(START, AbortSignal.timeout(5_000)).finally(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await writer.append(s, events(1));
    await waiting;
    // A change that adds no event (a state) does not wake a reader waiting for events.
    let woken = false;
    const next = reader.waitForEvents(1 as GlobalPosition, AbortSignal.timeout(300)).then(() => {
      woken = true;
    });
    await writer.commit({ states: [{ collection: 'g', id: '1', expectedVersion: 0, state: {} }] });
    await expect(next).rejects.toThrow();
    expect(woken).toBe(false);
  });

  it('rejects readers still waiting when it closes, with UNAVAILABLE (a plain Error escaped)', async () => {
    const db = sqlite(temp.file('store'));
    const store = db.events;
    const waiting = store.waitForEvents(START, AbortSignal.timeout(5_000));
    db.close();
    const error = await waiting.catch((e: unknown) => e);
    expect(isTwofoldError(error, 'UNAVAILABLE')).toBe(true);
    expect(String(error)).toMatch(/closed/);
  });

  it("fails every call after close with UNAVAILABLE (the driver's TypeError escaped)", async () => {
    const db = sqlite(temp.file('store'));
    const store = db.events;
    db.close();
    const calls = [
      () => store.readAll(START, 10),
      () => store.readStream(s),
      () => store.head(),
      () => store.load('g', '1'),
      () => store.find('key'),
      () => store.append(s, [{ type: 'test.Empty', data: undefined }]),
      () => store.waitForEvents(START, AbortSignal.timeout(1_000)),
    ];
    for (const call of calls) {
      const error = await call().catch((e: unknown) => e);
      expect(isTwofoldError(error, 'UNAVAILABLE')).toBe(true);
      expect(String(error)).toMatch(/is closed/);
    }
  });

  it('keeps JSON values, undefined data and upcasted snapshots of old events as written', async () => {
    const renamed = upcaster('test.Renamed', 1, (data: { name: string }) => ({ fullName: data.name }));
    const store = open({ upcasters: [renamed] });
    await store.append(s, [
      { type: 'test.Empty', data: undefined },
      { type: 'test.Renamed', data: { name: 'Ada' }, metadata: { user: 'u1' } },
    ]);
    const [empty, old] = await store.readStream(s);
    expect(empty?.data).toBeUndefined();
    expect(old).toMatchObject({ data: { fullName: 'Ada' }, schemaVersion: 2, metadata: { user: 'u1' } });
    expect((await store.readStream(s, { direction: 'backward', limit: 1 }))[0]?.streamVersion).toBe(2);
    expect(isTwofoldError(await store.readAll(START, 0).catch((e: unknown) => e), 'INVALID_ARGUMENT')).toBe(true);
    expect(existsSync(store.path)).toBe(true);
  });
});

describe('SqliteStore group commit', () => {
  const appendsToManyStreams = (store: SqliteStore, count: number) =>
    Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        store.append(streamId('group', String(i)), events(1), { expectedVersion: 'no-stream' }),
      ),
    );
  const walBytes = (store: SqliteStore) => {
    const wal = `${store.path}-wal`;
    return existsSync(wal) ? statSync(wal).size : 0;
  };

  it('commits the appends of one event-loop turn together, in order, each with its own position', async () => {
    // Inline checkpoints: the WAL then grows by exactly what each store writes.
    const grouped = open({ path: temp.file('grouped'), checkpoint: 'inline' });
    const alone = open({ path: temp.file('alone'), groupCommit: false, checkpoint: 'inline' });
    // What opening wrote (every component's tables) is not the appends'.
    const opened = { grouped: walBytes(grouped), alone: walBytes(alone) };
    const outcomes = await appendsToManyStreams(grouped, 40);
    await appendsToManyStreams(alone, 40);
    expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    const positions = outcomes.map((o) => (o as PromiseFulfilledResult<{ position: number }>).value.position);
    expect(positions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await grouped.readAll(START, 100)).map((e) => e.streamId)).toEqual(
      Array.from({ length: 40 }, (_, i) => `group-${i}`),
    );
    // One transaction writes each page once: far fewer WAL frames than forty transactions.
    expect(walBytes(grouped) - opened.grouped).toBeGreaterThan(0);
    expect((walBytes(grouped) - opened.grouped) * 4).toBeLessThan(walBytes(alone) - opened.alone);
  });

  it('fails a conflicting or failing unit of work alone, and commits the rest of its group', async () => {
    const store = open();
    await store.append(streamId('group', '1'), events(1));
    const participantFails = () => {
      throw new Error('participant failed');
    };
    const outcomes = await Promise.allSettled([
      store.append(streamId('group', '0'), events(1), { expectedVersion: 'no-stream' }),
      store.append(streamId('group', '1'), events(1), { expectedVersion: 'no-stream' }),
      store.commit({
        appends: [{ streamId: streamId('group', '2'), expectedVersion: 'any', events: events(2) }],
        participants: [participantFails],
      }),
      store.commit({ states: [{ collection: 'c', id: 'x', expectedVersion: 0, state: { n: 1 } }] }),
      store.append(streamId('group', '3'), events(2), { expectedVersion: 'no-stream' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT' });
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ message: 'participant failed' });
    expect(await store.streamVersion(streamId('group', '2'))).toBe(0);
    expect(await store.load('c', 'x')).toEqual({ state: { n: 1 }, version: 1 });
    expect((await store.readAll(START, 10)).map((e) => [e.streamId, e.position])).toEqual([
      ['group-1', 1],
      ['group-0', 2],
      ['group-3', 3],
      ['group-3', 4],
    ]);
  });

  it('fails alone a unit whose failure rolls back the whole transaction, and commits the rest again', async () => {
    const store = open();
    const raw = rawDatabase(store.path);
    raw.exec('CREATE TABLE seats (id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK); INSERT INTO seats VALUES (1)');
    raw.close();
    const takeSeat =
      (id: number) =>
      (tx: SqliteConnection): void => {
        tx.prepare('INSERT INTO seats VALUES (?)').run(id);
      };
    const unit = (name: string, seat: number) =>
      store.commit({
        appends: [{ streamId: streamId('seat', name), expectedVersion: 'no-stream', events: events(1) }],
        participants: [takeSeat(seat)],
      });
    await store.append(s, events(1));
    const outcomes = await Promise.allSettled([unit('a', 2), unit('b', 1), unit('c', 3)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The driver's own error: SQLite's message, and each driver's way of giving SQLite's extended code.
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      message: 'UNIQUE constraint failed: seats.id',
      ...(raw.driver === 'better-sqlite3' ? { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' } : { errcode: 1555 }),
    });
    expect((await store.readAll(START, 10)).map((e) => [e.streamId, e.position])).toEqual([
      ['order-1', 1],
      ['seat-a', 2],
      ['seat-c', 3],
    ]);
    const check = rawDatabase(store.path);
    expect(check.prepare('SELECT id FROM seats ORDER BY id').pluck().all()).toEqual([1, 2, 3]);
    check.close();
  });

  it('keeps the WAL bounded under single-event appends: each one lets SQLite checkpoint', async () => {
    // Inline checkpoints, SQLite's own at 1,000 pages: a WAL of about 4 MB at most. Without them, these appends
    // (two pages each) would leave one of about 50 MB.
    const store = open({ checkpoint: 'inline' });
    for (let i = 0; i < 6_000; i++) await store.append(streamId('wal', String(i % 500)), events(1));
    expect(statSync(`${store.path}-wal`).size).toBeLessThan(8 * 2 ** 20);
  });

  it('commits under fake timers too', async () => {
    const store = open();
    vi.useFakeTimers();
    try {
      const outcomes = await Promise.all([store.append(s, events(1)), store.append(s, events(1))]);
      await store.append(s, events(1));
      expect(outcomes.map((o) => o.position)).toEqual([1, 2]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not hold back a caller that commits in a loop, awaiting each commit', async () => {
    const store = open();
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    for (let i = 0; i < 300; i++) await store.append(streamId('loop', String(i % 7)), events(1));
    counting = false;
    // Each of the first few commits waits for the end of the turn, then they run at once but for a probe now
    // and then: about 8 + 300 / 64 turns, where waiting every time would take 300.
    expect(turns).toBeLessThan(30);
    expect(await store.head()).toBe(300);
  });

  it('makes the commits already asked for when it closes', async () => {
    const path = temp.file('closing');
    const db = sqlite(path);
    const store = db.events;
    const outcomes = appendsToManyStreams(store, 5);
    db.close();
    expect((await outcomes).map((o) => o.status)).toEqual(Array(5).fill('fulfilled'));
    const again = open({ path });
    expect(await again.head()).toBe(5);
    await expect(store.append(s, events(1))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/is closed/),
    });
    const never = temp.file('never');
    expect(() => open({ path: never, groupCommit: 'yes' as never })).toThrow(/groupCommit must be true or false/);
    expect(existsSync(never)).toBe(false);
  });
});
