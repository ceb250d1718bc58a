import { type Logger, type OutboxMessage, OutboxRelay, outboxParticipant, streamId } from '@twofold/core';
import { outboxStoreContract } from '@twofold/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { postgres } from '../index.js';

const server = usePostgres();
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

outboxStoreContract('PostgresOutbox', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { outbox: db.outbox, store: db.events, close: () => db.close() };
});

// Each handle is a node of its own on the schema.
async function open(schema: string) {
  return (await server.database({ schema })).outbox;
}

describe('PostgresOutbox', () => {
  it('keeps a claimed row on its page, so that the claim changes no index (a HOT update)', async () => {
    const schema = server.schema();
    const { events: store, outbox } = await server.database({ schema });
    const messages = Array.from({ length: 300 }, (_, i) => ({
      topic: 't',
      payload: { i, pad: 'x'.repeat(200) },
      id: `m${i}`,
      headers: {},
    }));
    await store.commit({
      appends: [
        { streamId: streamId('b', 'one'), expectedVersion: 'no-stream', events: [{ type: 'Booked', data: {} }] },
      ],
      participants: [(tx) => outbox.enqueue(tx as never, messages)],
    });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const pages = async () =>
        new Map(
          (
            await client.query<{ id: string; page: string }>(
              `SELECT id, (ctid::text::point)[0]::text AS page FROM ${schema}.twofold_outbox`,
            )
          ).rows.map((row) => [row.id, row.page]),
        );
      const before = await pages();
      expect(new Set(before.values()).size).toBeGreaterThan(3);
      expect(await outbox.claim(300, 60_000)).toHaveLength(300);
      const after = await pages();
      expect([...after].filter(([id, page]) => before.get(id) !== page).map(([id]) => id)).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('holds the messages of a commit if and only if it committed', async () => {
    const schema = server.schema();
    const { events: store, outbox } = await server.database({ schema });
    const toBroker = outboxParticipant(outbox, (events) =>
      events.map((e) => ({ topic: 'bookings', payload: e.data, id: `m-${e.id}`, headers: { type: e.type } })),
    );
    const book = (id: string, fail = false) =>
      store.commit({
        appends: [
          { streamId: streamId('b', id), expectedVersion: 'no-stream', events: [{ type: 'Booked', data: { id }, id }] },
        ],
        participants: [
          toBroker,
          () => {
            if (fail) throw new Error('refused after the outbox wrote');
          },
        ],
      });
    await book('b1');
    await expect(book('b2', true)).rejects.toThrow('refused after the outbox wrote');
    await book('b3');
    const sent: OutboxMessage[] = [];
    const relay = new OutboxRelay({ store: outbox, send: async (m) => void sent.push(m), logger: quiet });
    expect(await relay.drain()).toBe(2);
    expect(sent.map((m) => [m.id, m.topic, m.payload, m.headers])).toEqual([
      ['m-b1', 'bookings', { id: 'b1' }, { type: 'Booked' }],
      ['m-b3', 'bookings', { id: 'b3' }, { type: 'Booked' }],
    ]);
  });

  it("refuses a transaction of another handle, and keeps none of that handle's commit", async () => {
    const one = await server.database();
    const other = await server.database();
    for (const handle of [other, await server.database({ schema: one.schema })]) {
      const commit = handle.events.commit({
        appends: [{ streamId: streamId('b', 1), expectedVersion: 'any', events: [{ type: 'Booked', data: {} }] }],
        participants: [(tx) => one.outbox.enqueue(tx, [{ topic: 't', payload: 1, id: 'm1' }])],
      });
      await expect(commit).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(commit).rejects.toThrow(/use the outbox of the write store's own handle/);
      expect(await handle.events.head()).toBe(0);
    }
    expect(await one.outbox.claim(10, 60_000)).toEqual([]);
    const outside = await one.pool.connect();
    try {
      await expect(one.outbox.enqueue(outside, [{ topic: 't', payload: 1 }])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      outside.release();
    }
  });

  it('sends each message once when relays on several nodes drain it together, each in the order written', async () => {
    const schema = server.schema();
    const nodes = [await open(schema), await open(schema), await open(schema)];
    const total = 600;
    const writer = await server.database({ schema });
    for (let batch = 0; batch < total / 100; batch++) {
      await writer.events.commit({
        participants: [
          (tx) =>
            writer.outbox.enqueue(
              tx,
              Array.from({ length: 100 }, (_, i) => ({
                topic: 't',
                payload: batch * 100 + i,
                id: `m${batch * 100 + i}`,
              })),
            ),
        ],
      });
    }
    const seen = new Map<string, number>();
    const orders: number[][] = nodes.map(() => []);
    await Promise.all(
      nodes.map((outbox, n) =>
        new OutboxRelay({
          store: outbox,
          batchSize: 7,
          logger: quiet,
          send: async (m) => {
            seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
            orders[n]!.push(m.payload as number);
            await new Promise((resolve) => setTimeout(resolve, Math.random()));
          },
        }).drain(),
      ),
    );
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    for (const order of orders) expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(orders.filter((order) => order.length > 0).length).toBeGreaterThan(1);
  });

  it('retries a failing message later and parks it after its last attempt, keeping the error', async () => {
    const schema = server.schema();
    const { events: store, outbox } = await server.database({ schema });
    await store.commit({
      participants: [(tx) => outbox.enqueue(tx, [{ topic: 'mail', payload: { to: 'ada' }, id: 'm1' }])],
    });
    let calls = 0;
    const failing = new OutboxRelay({
      store: outbox,
      send: async () => {
        calls++;
        throw new Error('smtp down');
      },
      maxAttempts: 2,
      retryDelayMs: 1,
      logger: quiet,
    });
    expect(await failing.drain()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await failing.drain()).toBe(0);
    expect(calls).toBe(2);
    const [parked] = await outbox.parked();
    expect(parked).toMatchObject({ id: 'm1', attempts: 2, payload: { to: 'ada' } });
    expect(parked?.lastError).toContain('smtp down');
    expect(await failing.drain()).toBe(0);
    await outbox.retry('m1');
    const relay = new OutboxRelay({ store: outbox, send: async () => {}, logger: quiet });
    expect(await relay.drain()).toBe(1);
    expect(await outbox.parked()).toEqual([]);
  });
});
