import { describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import type { Logger } from '../runtime/logger.js';
import { MemoryOutbox } from './memory.js';
import { type OutboxMessage, outboxParticipant } from './ports.js';
import { OutboxRelay } from './relay.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// A write store whose commits write one `bookings` message per event into the outbox.
function bookings() {
  const store = new MemoryStore();
  const outbox = new MemoryOutbox();
  const participant = outboxParticipant(outbox, (events) =>
    events.map((e) => ({ topic: 'bookings', payload: e.data, id: `msg-${e.id}` })),
  );
  const book = (n: number) =>
    store.commit({
      appends: [
        { streamId: streamId('b', n), expectedVersion: 'any', events: [{ type: 'Booked', data: { n }, id: `e${n}` }] },
      ],
      participants: [participant],
    });
  return { store, outbox, book };
}

describe('the outbox', () => {
  it('writes the messages a commit maps its events to, and a relay sends them in order and completes them', async () => {
    const { outbox, book } = bookings();
    for (const n of [1, 2, 3]) await book(n);
    const sent: OutboxMessage[] = [];
    const relay = new OutboxRelay({ store: outbox, send: async (m) => void sent.push(m), logger: quiet });
    expect(await relay.drain()).toBe(3);
    expect(sent.map((m) => [m.id, m.topic, m.payload, m.attempts])).toEqual([
      ['msg-e1', 'bookings', { n: 1 }, 1],
      ['msg-e2', 'bookings', { n: 2 }, 1],
      ['msg-e3', 'bookings', { n: 3 }, 1],
    ]);
    expect(await relay.drain()).toBe(0);
  });

  it('with a feed, sends what each commit wrote as soon as it commits, without waiting for the poll', async () => {
    const { store, outbox, book } = bookings();
    const sent: string[] = [];
    let arrived = () => {};
    const relay = new OutboxRelay({
      store: outbox,
      feed: store,
      // Far beyond the test's timeout: only the feed can make the relay look again.
      pollIntervalMs: 3_600_000,
      send: async (m) => {
        sent.push(m.id);
        arrived();
      },
      logger: quiet,
    });
    relay.start();
    try {
      for (const n of [1, 2, 3]) {
        const delivered = new Promise<void>((resolve) => (arrived = resolve));
        await book(n);
        await delivered;
      }
      expect(sent).toEqual(['msg-e1', 'msg-e2', 'msg-e3']);
    } finally {
      await relay.stop();
    }
    expect(() => new OutboxRelay({ store: outbox, send: async () => {}, feed: {} as never })).toThrow(
      'OutboxRelay: options.feed must be an event feed (db.events)',
    );
  });

  it('retries a failed delivery with backoff, and parks it after its last attempt until retried', async () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(undefined, [
      { topic: 't', payload: { n: 1 }, id: 'flaky' },
      { topic: 't', payload: { n: 2 }, id: 'broken' },
      { topic: 't', payload: { n: 3 }, id: 'fine' },
    ]);
    let flaky = 0;
    const sent: string[] = [];
    const relay = new OutboxRelay({
      store: outbox,
      send: async (m) => {
        if (m.id === 'broken') throw new Error('rejected by the broker');
        if (m.id === 'flaky' && ++flaky === 1) throw new Error('timeout');
        sent.push(m.id);
      },
      retryDelayMs: 1,
      maxAttempts: 3,
      pollIntervalMs: 5,
      logger: quiet,
    });
    relay.start();
    await expect.poll(async () => (await outbox.parked()).map((m) => m.id)).toEqual(['broken']);
    await relay.stop();
    // The failure of one message holds up none of the others.
    expect(sent.sort()).toEqual(['fine', 'flaky']);
    const [parked] = await outbox.parked();
    expect(parked).toMatchObject({ attempts: 3 });
    expect(parked?.lastError).toContain('rejected by the broker');
    await outbox.retry('broken');
    const again = new OutboxRelay({ store: outbox, send: async (m) => void sent.push(m.id), logger: quiet });
    expect(await again.drain()).toBe(1);
    expect(await outbox.parked()).toEqual([]);
  });

  it('sends inFlight messages at once, in the order written, and completes only those delivered', async () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(
      undefined,
      Array.from({ length: 5 }, (_, i) => ({ topic: 't', payload: i, id: `m${i}` })),
    );
    const started: string[] = [];
    const pending: (() => void)[] = [];
    let windows = 0;
    const relay = new OutboxRelay({
      store: outbox,
      inFlight: 3,
      maxAttempts: 1,
      logger: quiet,
      send: (m) => {
        started.push(m.id);
        const sent =
          m.id === 'm1'
            ? new Promise<void>((_, reject) => pending.push(() => reject(new Error('broker refused m1'))))
            : new Promise<void>((resolve) => pending.push(resolve));
        // Acknowledged only once the whole window is on its way: one at a time would wait forever.
        if (started.length % 3 === 0 || started.length === 5) {
          windows++;
          for (const ack of pending.splice(0)) ack();
        }
        return sent;
      },
    });
    expect(await relay.drain()).toBe(4);
    expect(started).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(windows).toBe(2);
    expect(await outbox.claim(10, 60_000)).toEqual([]);
    const parked = await outbox.parked();
    expect(parked.map((m) => m.id)).toEqual(['m1']);
    expect(parked[0]?.lastError).toContain('broker refused m1');
  });

  it('claims the next batch while one is sent and deletes a batch while the next is sent, keeping the order', async () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(
      undefined,
      Array.from({ length: 7 }, (_, i) => ({ topic: 't', payload: i, id: `m${i}` })),
    );
    const steps: string[] = [];
    const claim = outbox.claim.bind(outbox);
    const complete = outbox.complete.bind(outbox);
    let claimed = 0;
    let nextClaim = () => {};
    const store = Object.assign(outbox, {
      claim: async (limit: number, leaseMs: number) => {
        const batch = await claim(limit, leaseMs);
        steps.push(`claim ${batch.map((m) => m.id).join(',')}`);
        claimed++;
        nextClaim();
        return batch;
      },
      complete: async (ids: readonly string[]) => {
        steps.push(`delete ${ids.join(',')}`);
        await complete(ids);
      },
    });
    const relay = new OutboxRelay({
      store,
      batchSize: 3,
      inFlight: 3,
      logger: quiet,
      send: async (m) => {
        steps.push(`send ${m.id}`);
        // The first message of each batch is acknowledged only once the following claim was made: a relay that
        // claims after sending waits here forever.
        if (m.id === 'm0' || m.id === 'm3') {
          const before = claimed;
          await new Promise<void>((resolve) => {
            nextClaim = () => claimed > before && resolve();
            nextClaim();
          });
        }
      },
    });
    expect(await relay.drain()).toBe(7);
    expect(steps.filter((s) => s.startsWith('send')).map((s) => s.slice(5))).toEqual(
      Array.from({ length: 7 }, (_, i) => `m${i}`),
    );
    expect(steps.indexOf('claim m3,m4,m5')).toBeLessThan(steps.indexOf('delete m0,m1,m2'));
    // The rows of a batch are deleted once the next batch is on its way.
    expect(steps.indexOf('send m3')).toBeLessThan(steps.indexOf('delete m0,m1,m2'));
    expect(steps.indexOf('delete m0,m1,m2')).toBeLessThan(steps.indexOf('delete m3,m4,m5'));
    expect(steps.indexOf('delete m0,m1,m2')).toBeLessThan(steps.indexOf('send m6'));
    expect(await outbox.claim(10, 60_000)).toEqual([]);
  });

  it('sends the batch claimed while a deletion failed before it throws, instead of leaving it leased behind newer ones', async () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(
      undefined,
      Array.from({ length: 7 }, (_, i) => ({ topic: 't', payload: i, id: `m${i}` })),
    );
    const complete = outbox.complete.bind(outbox);
    let refusals = 1;
    // The outbox refuses the first deletion, the one of m0-m2 made while m3-m5 are sent and m6 is claimed.
    const store = Object.assign(outbox, {
      complete: async (ids: readonly string[]) => {
        if (refusals-- > 0) throw new Error(`deleting ${ids.join(',')}: database is busy`);
        await complete(ids);
      },
    });
    const sent: string[] = [];
    const relay = new OutboxRelay({
      store,
      batchSize: 3,
      logger: quiet,
      send: async (m) => {
        sent.push(m.id);
      },
    });
    await expect(relay.drain()).rejects.toThrow('deleting m0,m1,m2: database is busy');
    expect(sent).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    // m0-m2 stay, leased, to be sent again (and dropped by their ids) once their lease ends; the rest are gone.
    expect(await relay.drain()).toBe(0);
  });

  it('logs a failure to delete sent messages as such, not as a failed claim', async () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(undefined, [{ topic: 't', payload: 1, id: 'm1' }]);
    const store = Object.assign(outbox, {
      complete: async (ids: readonly string[]) => {
        throw new Error(`deleting ${ids.join(',')}: database is busy`);
      },
    });
    let logged!: (line: { readonly err: unknown; readonly message: string | undefined }) => void;
    const failed = new Promise<{ readonly err: unknown; readonly message: string | undefined }>((resolve) => {
      logged = resolve;
    });
    const relay = new OutboxRelay({
      store,
      pollIntervalMs: 3_600_000,
      send: async () => {},
      logger: { ...quiet, error: (bindings, message) => logged({ err: (bindings as { err: unknown }).err, message }) },
    });
    relay.start();
    try {
      const { err, message } = await failed;
      expect(message).toBe('Outbox relay could not claim, reschedule or delete messages in its outbox');
      expect(err).toMatchObject({ message: 'deleting m1: database is busy' });
    } finally {
      await relay.stop();
    }
  });

  it('throws the first failure of a pipeline, and logs a failure of its last deletion after it', async () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(undefined, [
      { topic: 't', payload: 1, id: 'm1' },
      { topic: 't', payload: 2, id: 'm2' },
    ]);
    // Every deletion fails: m1's while m2 goes out, then m2's once the pipeline ends.
    const store = Object.assign(outbox, {
      complete: async (ids: readonly string[]) => {
        throw new Error(`deleting ${ids.join(',')}: database is busy`);
      },
    });
    const errors: { readonly err: unknown; readonly message: string | undefined }[] = [];
    const relay = new OutboxRelay({
      store,
      batchSize: 1,
      send: async () => {},
      logger: {
        ...quiet,
        error: (bindings, message) => errors.push({ err: (bindings as { err: unknown }).err, message }),
      },
    });
    await expect(relay.drain()).rejects.toThrow('deleting m1: database is busy');
    expect(errors).toEqual([
      {
        err: expect.objectContaining({ message: 'deleting m2: database is busy' }),
        message:
          'Outbox relay could not delete messages it sent, after an earlier failure: they go out again once their lease ends',
      },
    ]);
  });

  it('keeps a claimed message from other relays until its lease ends', async () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(undefined, [{ topic: 't', payload: 1, id: 'm' }]);
    expect((await outbox.claim(10, 60_000)).map((m) => m.id)).toEqual(['m']);
    expect(await outbox.claim(10, 60_000)).toEqual([]);
    const short = new MemoryOutbox();
    short.enqueue(undefined, [{ topic: 't', payload: 1, id: 'm' }]);
    // The clock is the test's: the lease ends when the test moves it past the lease, not after a wait.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const claimed = Date.now();
      await short.claim(10, 1_000);
      vi.setSystemTime(claimed + 999);
      expect(await short.claim(10, 60_000)).toEqual([]);
      vi.setSystemTime(claimed + 1_001);
      expect((await short.claim(10, 60_000)).map((m) => [m.id, m.attempts])).toEqual([['m', 2]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses malformed messages and options with clear errors', () => {
    const outbox = new MemoryOutbox();
    expect(() => outbox.enqueue(undefined, [{ topic: '', payload: 1 }])).toThrow(/non-empty topic/);
    expect(() => outbox.enqueue(undefined, [{ topic: 't', payload: undefined }])).toThrow(/payload must be JSON/);
    outbox.enqueue(undefined, [{ topic: 't', payload: 1, id: 'x' }]);
    expect(() => outbox.enqueue(undefined, [{ topic: 't', payload: 1, id: 'x' }])).toThrow(/exists/);
    expect(() => new OutboxRelay({ store: outbox, send: 'no' as never })).toThrow(/send must be a function/);
    expect(() => new OutboxRelay({ store: outbox, send: async () => {}, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new OutboxRelay({ store: outbox, send: async () => {}, inFlight: 0 })).toThrow(
      'OutboxRelay: options.inFlight must be an integer >= 1; got 0',
    );
  });
});
