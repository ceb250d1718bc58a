import { AckPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { RecordedEvent } from '@twofold/core';
import { type PostgresClient, type PostgresDatabase, postgres } from '@twofold/postgres';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useNats } from '../tests/nats.js';
import { book, quiet, useSqlite } from '../tests/setup.js';
import { ensureStream, NatsConsumer, natsRelay } from './index.js';

const nats = useNats();
const open = useSqlite();
let server: PostgresServer | undefined;
const handles: PostgresDatabase[] = [];
let schemas = 0;
beforeAll(async () => {
  server = await startPostgres();
});
afterEach(async () => {
  for (const db of handles.splice(0)) await db.close();
});
afterAll(async () => {
  await server?.stop();
});

async function billingDatabase(schema = `nats_${process.pid}_${++schemas}`) {
  const db = await postgres({ connection: server!.url, schema });
  handles.push(db);
  await db.pool.query('CREATE TABLE IF NOT EXISTS invoices (n serial PRIMARY KEY, booking text NOT NULL UNIQUE)');
  return db;
}

const invoice = async (event: RecordedEvent, tx: PostgresClient) => {
  await tx.query('INSERT INTO invoices (booking) VALUES ($1)', [(event.data as { bookingId: string }).bookingId]);
};
const invoiced = async (db: PostgresDatabase) =>
  (await db.pool.query<{ booking: string }>('SELECT booking FROM invoices ORDER BY n')).rows.map((r) => r.booking);

async function relayed(ids: readonly string[]) {
  const { js, jsm } = await nats.connect();
  const { stream, prefix } = nats.names();
  await ensureStream(jsm, { name: stream, prefix });
  const hotel = open();
  const events = await book(hotel, ids);
  await natsRelay({ outbox: hotel.outbox, jetstream: js, prefix, stream, logger: quiet }).drain();
  return { js, jsm, stream, prefix, events };
}

describe('NatsConsumer on PostgreSQL', () => {
  it('makes a message delivered again after a node died before acking it a no-op, through the inbox', async () => {
    const { js, jsm, stream, prefix, events } = await relayed(['b1']);
    const db = await billingDatabase();
    let handled = 0;
    const handle = async (event: RecordedEvent, tx: PostgresClient) => {
      handled++;
      await invoice(event, tx);
    };
    // The node that died: it pulled the message and committed its effect with the inbox mark, but never acked.
    await jsm.consumers.add(stream, { durable_name: 'billing', ack_policy: AckPolicy.Explicit, ack_wait: nanos(300) });
    const pulled = await (await js.consumers.get(stream, 'billing')).next();
    const [event] = events;
    expect(pulled?.headers?.get('Nats-Msg-Id')).toBe(event?.id);
    expect(await db.inbox.receive('billing', event!.id, (tx) => handle(event!, tx))).toBe(true);

    const billing = new NatsConsumer({
      jetstream: js,
      stream,
      prefix,
      name: 'billing',
      inbox: db.inbox,
      deadLetters: db.deadLetters,
      handle,
      ackWaitMs: 300,
      logger: quiet,
    });
    await billing.start();
    await expect
      .poll(async () => {
        const info = await jsm.consumers.info(stream, 'billing');
        return [info.delivered.consumer_seq, info.num_ack_pending, info.num_pending];
      })
      .toEqual([2, 0, 0]);
    expect([handled, await invoiced(db)]).toEqual([1, ['b1']]);
    await billing.stop();
  });

  it('has nodes sharing one durable consumer and one schema apply each event once', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `b${i + 1}`);
    const { js, jsm, stream, prefix } = await relayed(ids);
    const schema = `nats_${process.pid}_${++schemas}`;
    // One after the other: two CREATE TABLE IF NOT EXISTS at once can collide in PostgreSQL's catalog.
    const nodes = [await billingDatabase(schema), await billingDatabase(schema)];
    // Each node on a connection of its own.
    const connections = [js, (await nats.connect()).js];
    const consumers = nodes.map(
      (db, n) =>
        new NatsConsumer({
          jetstream: connections[n]!,
          stream,
          prefix,
          name: 'billing',
          inbox: db.inbox,
          deadLetters: db.deadLetters,
          handle: invoice,
          logger: quiet,
        }),
    );
    for (const consumer of consumers) await consumer.start();
    await expect.poll(async () => (await invoiced(nodes[0]!)).length).toBe(30);
    await expect.poll(async () => (await jsm.consumers.info(stream, 'billing')).num_ack_pending).toBe(0);
    expect((await invoiced(nodes[0]!)).sort()).toEqual([...ids].sort());
    expect(await nodes[0]!.deadLetters.list()).toEqual([]);
    for (const consumer of consumers) await consumer.stop();
  });
});
