import { AckPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { InboxStore, RecordedEvent } from '@twofold/core';
import type { SqliteConnection } from '@twofold/sqlite';
import { describe, expect, it, vi } from 'vitest';
import { useNats } from '../tests/nats.js';
import { book, dying, invoices, quiet, useSqlite } from '../tests/setup.js';
import { ensureStream, NatsConsumer, type NatsConsumerOptions, natsRelay } from './index.js';

const nats = useNats();
const open = useSqlite();

// A sending service with `ids` booked and relayed, and a receiving one on SQLite with an invoices table.
async function scenario(ids: readonly string[]) {
  const { nc, js, jsm } = await nats.connect();
  const { stream, prefix } = nats.names();
  await ensureStream(jsm, { name: stream, prefix });
  const hotel = open();
  const events = await book(hotel, ids);
  await natsRelay({ outbox: hotel.outbox, jetstream: js, prefix, stream, logger: quiet }).drain();
  const billing = open();
  const table = invoices(billing.connection);
  const consumers: NatsConsumer<SqliteConnection>[] = [];
  const consumer = (options: Partial<NatsConsumerOptions<SqliteConnection>> & { jetstream?: JetStreamClient }) => {
    const made = new NatsConsumer<SqliteConnection>({
      jetstream: js,
      stream,
      prefix,
      name: 'billing',
      inbox: billing.inbox,
      deadLetters: billing.deadLetters,
      handle: (event, tx) => table.write(tx, event),
      logger: quiet,
      ...options,
    });
    consumers.push(made);
    return made;
  };
  const stopAll = () => Promise.all(consumers.map((c) => c.stop()));
  return { nc, js, jsm, stream, prefix, hotel, events, billing, table, consumer, stopAll };
}

describe('NatsConsumer', () => {
  it('hands each event to the handler once, as it was recorded, and acks it', async () => {
    const s = await scenario(['b1', 'b2', 'b3']);
    const seen: RecordedEvent[] = [];
    const billing = s.consumer({
      handle: (event, tx) => {
        seen.push(event);
        s.table.write(tx, event);
      },
    });
    await billing.start();
    await expect.poll(() => s.table.read()).toEqual(['b1', 'b2', 'b3']);
    expect(seen).toEqual(s.events);
    await expect.poll(async () => (await s.jsm.consumers.info(s.stream, 'billing')).num_ack_pending).toBe(0);
    await s.stopAll();
  });

  it('makes a message delivered again after a node died before acking it a no-op, through the inbox', async () => {
    const s = await scenario(['b1']);
    let handled = 0;
    const handle = (event: RecordedEvent, tx: SqliteConnection) => {
      handled++;
      s.table.write(tx, event);
    };
    // The node that died: it pulled the message and committed its effect with the inbox mark, but never acked.
    await s.jsm.consumers.add(s.stream, {
      durable_name: 'billing',
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(300),
    });
    const pulled = await (await s.js.consumers.get(s.stream, 'billing')).next();
    const [event] = s.events;
    expect(pulled?.headers?.get('Nats-Msg-Id')).toBe(event?.id);
    await s.billing.inbox.receive('billing', event!.id, (tx) => handle(event!, tx));

    await s.consumer({ handle, ackWaitMs: 300 }).start();
    await expect
      .poll(async () => {
        const info = await s.jsm.consumers.info(s.stream, 'billing');
        return [info.delivered.consumer_seq, info.num_ack_pending, info.num_pending];
      })
      .toEqual([2, 0, 0]);
    expect([handled, s.table.read()]).toEqual([1, ['b1']]);
    await s.stopAll();
  });

  it('hands each event over once when a relay died after publishing and another published the rows again', async () => {
    const { js, jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    await ensureStream(jsm, { name: stream, prefix });
    const hotel = open();
    await book(hotel, ['b1', 'b2', 'b3']);
    const crashed = natsRelay({
      outbox: dying(hotel.outbox),
      jetstream: js,
      prefix,
      stream,
      leaseMs: 1,
      logger: quiet,
    });
    await expect(crashed.drain()).rejects.toThrow('the relay process died');
    expect(await natsRelay({ outbox: hotel.outbox, jetstream: js, prefix, stream, logger: quiet }).drain()).toBe(3);

    const billing = open();
    const table = invoices(billing.connection);
    const handled: string[] = [];
    const consumer = new NatsConsumer<SqliteConnection>({
      jetstream: js,
      stream,
      prefix,
      name: 'billing',
      inbox: billing.inbox,
      deadLetters: billing.deadLetters,
      handle: (event, tx) => {
        handled.push(event.id);
        table.write(tx, event);
      },
      logger: quiet,
    });
    await consumer.start();
    await expect.poll(async () => (await jsm.consumers.info(stream, 'billing')).num_ack_pending).toBe(0);
    await expect.poll(() => table.read()).toEqual(['b1', 'b2', 'b3']);
    expect(new Set(handled).size).toBe(handled.length);
    await consumer.stop();
  });

  it('parks a message after maxDeliveries failed deliveries, keeps the others flowing, and replays or discards it', async () => {
    const s = await scenario(['b1', 'b2', 'b3']);
    let down = true;
    const billing = s.consumer({
      maxDeliveries: 3,
      retryDelayMs: 20,
      handle: (event, tx) => {
        if (down && (event.data as { bookingId: string }).bookingId === 'b2') throw new Error('no tariff for b2');
        s.table.write(tx, event);
      },
    });
    await billing.start();
    await expect.poll(async () => (await s.billing.deadLetters.list('billing')).length).toBe(1);
    const [letter] = await s.billing.deadLetters.list('billing');
    expect(letter).toMatchObject({ subscriber: 'billing', attempts: 3, event: s.events[1] });
    expect(letter?.error).toContain('no tariff for b2');
    await expect.poll(async () => (await s.jsm.consumers.info(s.stream, 'billing')).num_ack_pending).toBe(0);
    expect(s.table.read()).toEqual(['b1', 'b3']);

    await expect(billing.replay(letter!.id)).rejects.toThrow('no tariff for b2');
    expect(await s.billing.deadLetters.get(letter!.id)).toMatchObject({ attempts: 4 });
    down = false;
    await billing.replay(letter!.id);
    expect(s.table.read()).toEqual(['b1', 'b3', 'b2']);
    expect(await s.billing.deadLetters.list()).toEqual([]);
    await expect(billing.replay(letter!.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await s.stopAll();
  });

  it('parks a message that is not an event Twofold published at once, with its body as text', async () => {
    const s = await scenario(['b1']);
    await s.js.publish(`${s.prefix}.hotel.RoomBooked`, 'not json', { msgID: 'stray-1' });
    await s.consumer({}).start();
    await expect.poll(async () => (await s.billing.deadLetters.list('billing')).length).toBe(1);
    const [letter] = await s.billing.deadLetters.list('billing');
    expect(letter).toMatchObject({ attempts: 1, event: { id: 'stray-1', data: 'not json' } });
    expect(letter?.error).toContain('has no Nats-Msg-Id or Twofold-Event-Type header');
    expect(s.table.read()).toEqual(['b1']);
    await s.billing.deadLetters.remove(letter!.id);
    expect(await s.billing.deadLetters.list()).toEqual([]);
    await s.stopAll();
  });

  it("with ordered, handles one message at a time in the stream's order, a failure holding back the rest", async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `b${i + 1}`);
    const s = await scenario(ids);
    const failOnce = (table: ReturnType<typeof invoices>) => {
      let failed = false;
      return (event: RecordedEvent, tx: SqliteConnection) => {
        if ((event.data as { bookingId: string }).bookingId === 'b3' && !failed) {
          failed = true;
          throw new Error('b3 fails once');
        }
        table.write(tx, event);
      };
    };
    await s.consumer({ ordered: true, retryDelayMs: 100, handle: failOnce(s.table) }).start();
    await expect.poll(() => s.table.read()).toHaveLength(8);
    expect(s.table.read()).toEqual(ids);
    expect((await s.jsm.consumers.info(s.stream, 'billing')).config.max_ack_pending).toBe(1);
    await s.stopAll();

    // Without it, a failed message comes back after later ones.
    const other = open();
    const table = invoices(other.connection);
    const unordered = s.consumer({
      name: 'audit',
      inbox: other.inbox,
      deadLetters: other.deadLetters,
      retryDelayMs: 100,
      handle: failOnce(table),
    });
    await unordered.start();
    await expect.poll(() => table.read()).toHaveLength(8);
    expect(table.read()).not.toEqual(ids);
    await s.stopAll();
  });

  it('refuses bad options with clear errors, and a stream that does not exist', async () => {
    const s = await scenario([]);
    const base = {
      jetstream: s.js,
      stream: s.stream,
      prefix: s.prefix,
      name: 'billing',
      inbox: s.billing.inbox,
      deadLetters: s.billing.deadLetters,
      handle: () => {},
    };
    expect(() => new NatsConsumer({ ...base, name: 'bill.ing' })).toThrow(
      'NatsConsumer "bill.ing": options.name must be letters, digits, `_` and `-`',
    );
    expect(() => new NatsConsumer({ ...base, prefix: 'a.>' })).toThrow(
      'NatsConsumer "billing": the subject prefix must be dot-separated tokens',
    );
    expect(() => new NatsConsumer({ ...base, types: ['hotel.*'] })).toThrow(
      'Event type "hotel.*" cannot be a NATS subject',
    );
    expect(() => new NatsConsumer({ ...base, maxDeliveries: 0 })).toThrow(
      'NatsConsumer "billing": options.maxDeliveries must be an integer >= 1; got 0',
    );
    expect(() => new NatsConsumer({ ...base, inbox: {} as never })).toThrow('options.inbox must be an inbox store');
    const missing = new NatsConsumer({ ...base, stream: 'NOPE', logger: quiet });
    await expect(missing.start()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(missing.start()).rejects.toThrow('NatsConsumer billing: there is no stream NOPE');
  });

  it('starts one receiver when started twice at once, and ends stopped when stopped while it starts', async () => {
    const s = await scenario(['b1']);
    const handled = { twice: 0, stoppedEarly: 0, after: 0 };
    const counting = (key: keyof typeof handled) => (event: RecordedEvent, tx: SqliteConnection) => {
      handled[key]++;
      s.table.write(tx, event);
    };
    const twice = s.consumer({ handle: counting('twice') });
    await Promise.all([twice.start(), twice.start()]);
    await expect.poll(() => s.table.read()).toEqual(['b1']);
    await twice.stop();
    const stoppedEarly = s.consumer({ handle: counting('stoppedEarly') });
    const starting = stoppedEarly.start();
    await stoppedEarly.stop();
    await starting;

    // Published once both are stopped: a receiver either left running would pull these beside the one started now.
    const later = Array.from({ length: 20 }, (_, i) => `c${i}`);
    await book(s.hotel, later);
    await natsRelay({
      outbox: s.hotel.outbox,
      jetstream: s.js,
      prefix: s.prefix,
      stream: s.stream,
      logger: quiet,
    }).drain();
    await s.consumer({ handle: counting('after') }).start();
    await expect.poll(() => s.table.read().length).toBe(21);
    expect(handled).toEqual({ twice: 1, stoppedEarly: 0, after: 20 });
    await s.stopAll();
  });

  it('with inboxRetentionMs, prunes the marks older than it on start and then periodically, keeping the newer ones', async () => {
    const s = await scenario([]);
    await ensureStream(s.jsm, { name: s.stream, prefix: s.prefix, duplicateWindowMs: 100 });
    // Marked 300 ms ago by the clock, older than the retention when the consumer starts.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 300 });
    try {
      await s.billing.inbox.receive('billing', 'stale', () => {});
      await s.billing.inbox.receive('audit', 'stale', () => {});
    } finally {
      vi.useRealTimers();
    }
    await s.billing.inbox.receive('billing', 'fresh', () => {});
    // The inbox, telling each prune it runs.
    const inbox = s.billing.inbox;
    const prunes = new Set<(before: Date) => void>();
    const watched: InboxStore<SqliteConnection> = {
      receive: (consumer, id, effect) => inbox.receive(consumer, id, effect),
      received: (consumer, id) => inbox.received(consumer, id),
      pruneBefore: async (consumer, before) => {
        const pruned = await inbox.pruneBefore(consumer, before);
        for (const told of prunes) told(before);
        return pruned;
      },
    };
    const prunedPast = (at: number) =>
      new Promise<void>((resolve) => {
        const told = (before: Date) => {
          if (before.getTime() <= at) return;
          prunes.delete(told);
          resolve();
        };
        prunes.add(told);
      });
    await s
      .consumer({ inbox: watched, maxDeliveries: 1, ackWaitMs: 100, retryDelayMs: 100, inboxRetentionMs: 250 })
      .start();
    expect([
      await s.billing.inbox.received('billing', 'stale'),
      await s.billing.inbox.received('billing', 'fresh'),
      await s.billing.inbox.received('audit', 'stale'),
    ]).toEqual([false, true, true]);
    // Then again every inboxRetentionMs (shorter than an hour here): a mark made now goes with the first prune of
    // the marks older than it.
    await s.billing.inbox.receive('billing', 'later', () => {});
    await prunedPast(Date.now());
    expect(await s.billing.inbox.received('billing', 'later')).toBe(false);
    await s.stopAll();
  });

  it('refuses an inboxRetentionMs shorter than the duplicate window or the redelivery span, starting nothing', async () => {
    const s = await scenario(['b1']);
    const tooShort = s.consumer({ inboxRetentionMs: 60_000 });
    await expect(tooShort.start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(tooShort.start()).rejects.toThrow(
      "NatsConsumer billing: options.inboxRetentionMs (60000) must be at least the stream's duplicate window " +
        '(120000 ms) and maxDeliveries × (ackWaitMs + retryDelayMs) (155000 ms)',
    );
    const redelivery = s.consumer({ inboxRetentionMs: 150_000 });
    await expect(redelivery.start()).rejects.toThrow('must be at least');
    await expect(s.jsm.consumers.info(s.stream, 'billing')).rejects.toThrow(/consumer not found/);
    expect(() => s.consumer({ inboxRetentionMs: 0 })).toThrow(
      'NatsConsumer "billing": options.inboxRetentionMs must be an integer >= 1; got 0',
    );
    expect(s.table.read()).toEqual([]);
  });

  it('receives only the event types it names', async () => {
    const s = await scenario(['b1']);
    await s.js.publish(`${s.prefix}.hotel.RoomCleaned`, '{}', { msgID: 'other' });
    await s.consumer({ types: ['hotel.RoomBooked'] }).start();
    await expect.poll(() => s.table.read()).toEqual(['b1']);
    const info = await s.jsm.consumers.info(s.stream, 'billing');
    expect([info.config.filter_subject, info.num_pending, info.num_ack_pending]).toEqual([
      `${s.prefix}.hotel.RoomBooked`,
      0,
      0,
    ]);
    expect(await s.billing.deadLetters.list()).toEqual([]);
    await s.stopAll();
  });
});
