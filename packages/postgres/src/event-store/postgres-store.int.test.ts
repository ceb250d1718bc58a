import { isTwofoldError, type NewEvent, streamId, type Upcaster } from '@twofold/core';
import { eventStoreContract, stateStoreContract } from '@twofold/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { migratePostgres, type PostgresOptions, type PostgresStore, postgres } from '../index.js';

const server = usePostgres();
async function open(options: Partial<PostgresOptions> = {}): Promise<PostgresStore> {
  return (await server.database(options)).events;
}
const factory = async ({ upcasters }: { upcasters: readonly Upcaster[] }) => {
  const db = await postgres({ connection: server.url, schema: server.schema(), upcasters });
  return { store: db.events, close: () => db.close() };
};

eventStoreContract('PostgresStore', factory);
stateStoreContract('PostgresStore', factory);

const events = (count: number): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'test.Happened', data: { n: i + 1 } }));

describe('PostgresStore', () => {
  it('migrates once, even when several nodes open the schema at the same time', async () => {
    const schema = server.schema();
    await Promise.all(Array.from({ length: 4 }, () => server.database({ schema })));
    const client = new pg.Client(server.url);
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT component, version FROM ${schema}.twofold_migrations ORDER BY component, version`,
      );
      expect(rows).toEqual([
        { component: 'command-queue', version: 1 },
        { component: 'command-queue', version: 2 },
        { component: 'command-queue', version: 3 },
        { component: 'documents', version: 1 },
        { component: 'event-store', version: 1 },
        { component: 'event-store', version: 2 },
        { component: 'event-store', version: 3 },
        { component: 'event-store', version: 4 },
        { component: 'inbox', version: 1 },
        { component: 'outbox', version: 1 },
        { component: 'outbox', version: 2 },
        { component: 'process-managers', version: 1 },
        { component: 'process-managers', version: 2 },
        { component: 'process-managers', version: 3 },
        { component: 'projection-slots', version: 1 },
        { component: 'subscriptions', version: 1 },
        { component: 'subscriptions', version: 2 },
        { component: 'tables', version: 1 },
      ]);
      await client.query(`UPDATE ${schema}.twofold_migrations SET version = 99 WHERE version = 4`);
    } finally {
      await client.end();
    }
    await expect(postgres({ connection: server.url, schema })).rejects.toThrow(
      /at version 99, newer than this @twofold\/postgres knows \(4\)/,
    );
  });

  it('migrates every component ahead of start through migratePostgres()', async () => {
    const schema = server.schema();
    const first = await migratePostgres({ connection: server.url, schema });
    expect(first.map((r) => [r.component, r.from, r.to])).toEqual([
      ['event-store', 0, 4],
      ['projection-slots', 0, 1],
      ['documents', 0, 1],
      ['tables', 0, 1],
      ['subscriptions', 0, 2],
      ['outbox', 0, 2],
      ['command-queue', 0, 3],
      ['process-managers', 0, 3],
      ['inbox', 0, 1],
    ]);
    const again = await migratePostgres({ connection: server.url, schema });
    expect(again.every((r) => r.from === r.to && r.to >= 1)).toBe(true);
    const store = await open({ schema });
    expect(await store.head()).toBe(0);
  });

  it('reads an idempotency record stored before records named their command, and prunes it', async () => {
    const schema = server.schema();
    const store = await open({ schema });
    const client = new pg.Client(server.url);
    await client.connect();
    try {
      await client.query(
        `INSERT INTO ${schema}.twofold_idempotency (key, result, position, at) VALUES ('old', '{"ok":true}', 7, 1)`,
      );
    } finally {
      await client.end();
    }
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

  it('refuses bad options with a clear error', async () => {
    await expect(postgres({ connection: server.url, schema: 'Robert; DROP' })).rejects.toThrow(
      /options.schema must be a lower-case SQL identifier/,
    );
    await expect(postgres({ connection: 42 as never })).rejects.toThrow(/connection string or a pg Pool/);
    await expect(open({ pollIntervalMs: 0 })).rejects.toThrow(/pollIntervalMs must be an integer >= 1/);
  });

  it('fails with a clear error when the server cannot be reached', async () => {
    await expect(postgres({ connection: 'postgres://postgres@127.0.0.1:1/postgres' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('names the stream and position of a corrupt event', async () => {
    const store = await open();
    const s = streamId('order', 'x');
    const { position } = await store.append(s, events(1));
    const client = new pg.Client(server.url);
    await client.connect();
    await client.query(`UPDATE ${store.schema}.twofold_events SET data = '{broken' WHERE position = $1`, [position]);
    await client.end();
    const error = await store.readStream(s).catch((e: unknown) => e);
    expect(isTwofoldError(error, 'CORRUPT_DATA')).toBe(true);
    expect((error as Error).message).toContain(`at position ${position} of stream order-x`);
  });

  it('lets participants write in the transaction, and rolls everything back when one throws', async () => {
    const store = await open();
    const s = streamId('order', 'p');
    await store.commit({
      appends: [{ streamId: s, expectedVersion: 'no-stream', events: events(2) }],
      participants: [
        async (tx, recorded) => {
          await tx.query('CREATE TABLE outbox (position bigint)');
          await tx.query('INSERT INTO outbox SELECT unnest($1::bigint[])', [recorded.map((e) => e.position)]);
        },
      ],
    });
    const failed = store.commit({
      appends: [{ streamId: s, expectedVersion: 2, events: events(1) }],
      participants: [
        async (tx) => {
          await tx.query('INSERT INTO outbox VALUES (0)');
          throw new Error('mail server down');
        },
      ],
    });
    await expect(failed).rejects.toThrow('Unit-of-work participant #1: mail server down');
    expect(await store.streamVersion(s)).toBe(2);
    const client = new pg.Client(server.url);
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${store.schema}.outbox`);
    await client.end();
    expect(rows[0].n).toBe(2);
  });

  it('lets concurrent appends with any expected version all through, alone or in transactions, in version order', async () => {
    const store = await open();
    const s = streamId('busy', 1);
    const pause = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 5));
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0
          ? store.append(s, events(2))
          : store.commit({
              appends: [{ streamId: s, expectedVersion: 'any', events: events(2) }],
              participants: [pause],
            }),
      ),
    );
    const stored = await store.readStream(s);
    expect(stored.map((e) => e.streamVersion)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    expect(await store.streamVersion(s)).toBe(48);
  });

  it('reports conflicts of many racing transactions on a small pool, without waiting for a connection it holds', async () => {
    const store = await open({ maxConnections: 2 });
    const s = streamId('contended', 1);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        store.commit({
          appends: [{ streamId: s, expectedVersion: 'no-stream', events: events(1) }],
          participants: [() => new Promise<void>((resolve) => setTimeout(resolve, 5))],
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT', actual: 1 });
    }
  });

  it('writes the states of a commit in one order, so that crossing commits conflict rather than deadlock', async () => {
    const store = await open();
    const save = (ids: string[]) =>
      store.commit({
        states: ids.map((id) => ({ collection: 'room', id, expectedVersion: 0, state: { id } })),
        participants: [() => new Promise<void>((resolve) => setTimeout(resolve, 50))],
      });
    const outcomes = await Promise.allSettled([save(['a', 'b']), save(['b', 'a'])]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT', target: 'State room/a' });
  });

  it('refuses a commit of more events than positions allow', async () => {
    const store = await open();
    await expect(store.append(streamId('big', 1), events(16_384))).rejects.toThrow(/at most 16383 events/);
    expect(await store.streamVersion(streamId('big', 1))).toBe(0);
  });

  it('wakes a waiting reader on another node through NOTIFY', async () => {
    const schema = server.schema();
    const reader = await open({ schema, pollIntervalMs: 60_000 });
    const writer = await open({ schema });
    const head = await reader.head();
    const waiting = reader.waitForEvents(head, AbortSignal.timeout(10_000));
    let woken = false;
    void waiting.then(() => {
      woken = true;
    });
    // The reader starts listening in the background; an append before that is not announced to it, so the
    // writer appends again until one wakes it. Polling (every 60 s here) never does within the timeout.
    for (let n = 0; !woken; n++) {
      await writer.append(streamId('order', `n${n}`), events(1));
      await Promise.race([waiting, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    await expect(waiting).resolves.toBeUndefined();
    expect(await reader.head()).toBeGreaterThan(head);
  });

  it('holds back events behind a transaction still running, and hands them over once it commits', async () => {
    const store = await open();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slow = store.commit({
      appends: [{ streamId: streamId('slow', 1), expectedVersion: 'any', events: events(1) }],
      participants: [
        async () => {
          entered();
          await held;
        },
      ],
    });
    await inside;
    const fast = await store.append(streamId('fast', 1), events(1));
    expect(await store.readAll(0 as never, 10)).toEqual([]);
    expect(await store.head()).toBe(0);
    release();
    const slowCommitted = await slow;
    const all = await store.readAll(0 as never, 10);
    expect(all.map((e) => e.streamId)).toEqual(['slow-1', 'fast-1']);
    expect(slowCommitted.position!).toBeLessThan(fast.position!);
    expect(await store.countBetween(0 as never, fast.position!)).toBe(2);
  });
});
