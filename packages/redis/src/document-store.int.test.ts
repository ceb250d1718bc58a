import {
  CorruptDataError,
  type DocumentTx,
  defineEvent,
  type EventDefinition,
  type GlobalPosition,
  type InputOf,
  InvalidArgumentError,
  isTwofoldError,
  type Logger,
  MemoryStore,
  ProjectionRunner,
  projection,
  START,
  streamId,
} from '@twofold/core';
import { documentStoreContract } from '@twofold/core/testing';
import { type RedisServer, startRedis } from '@twofold/test-servers';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  type RedisDatabase,
  type RedisDatabaseOptions,
  type RedisDocumentStore,
  RedisUnavailableError,
  redis,
} from './index.js';

let server: RedisServer;
let raw: Redis;
beforeAll(async () => {
  server = await startRedis();
  raw = new Redis(server.url);
});
afterAll(async () => {
  raw?.disconnect();
  await server?.stop();
});

let prefixes = 0;
const opened: RedisDatabase[] = [];
afterEach(async () => {
  for (const handle of opened.splice(0)) await handle.close();
});
/** A handle's document store on a fresh prefix; `close()` closes its handle. */
function fresh(options: Partial<RedisDatabaseOptions> = {}): RedisDocumentStore & { close(): Promise<void> } {
  const handle = redis({ redis: server.url, prefix: `test${++prefixes}`, ...options });
  opened.push(handle);
  return Object.assign(handle.documents, { close: () => handle.close() });
}

documentStoreContract('redis', () => {
  const handle = redis({ redis: server.url, prefix: `contract${++prefixes}` });
  return { store: handle.documents, close: () => handle.close() };
});

/** The in-memory event store as the feed, with a terse append. */
class EventLog extends MemoryStore {
  async add<D extends EventDefinition>(event: D, data: InputOf<D>): Promise<GlobalPosition> {
    return (await this.append(streamId('test'), [{ type: event.type, data }])).position!;
  }
}

const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ bookingId: z.string(), roomId: z.string() }));
const BookingCancelled = defineEvent('hotel.BookingCancelled', z.object({ bookingId: z.string() }));
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Booking {
  readonly bookingId: string;
  readonly roomId: string;
  readonly status: 'booked' | 'cancelled';
}

// Counts every event it applies in a document, read and written back: applying one twice would show. Typed for
// every document store, so it also shows that a portable projection runs on Redis.
const bookings = projection<DocumentTx>('bookings')
  .on(RoomBooked, async ({ bookingId, roomId }, tx) => {
    tx.collection<Booking>('bookings').put(bookingId, { bookingId, roomId, status: 'booked' });
    const tally = tx.collection<{ applied: number }>('tally');
    tally.put('all', { applied: ((await tally.get('all'))?.applied ?? 0) + 1 });
  })
  .on(BookingCancelled, async ({ bookingId }, tx) => {
    await tx.collection<Booking>('bookings').update(bookingId, { status: 'cancelled' });
    const tally = tx.collection<{ applied: number }>('tally');
    tally.put('all', { applied: ((await tally.get('all'))?.applied ?? 0) + 1 });
  });

const slot = { projection: 'rooms', version: 1 };
const at = (n: number) => n as GlobalPosition;

describe('RedisDocumentStore', () => {
  it('projects events with a ProjectionRunner, catching up and then following the log', async () => {
    const log = new EventLog();
    for (let i = 1; i <= 12; i++) await log.add(RoomBooked, { bookingId: `b${i}`, roomId: `r${i % 3}` });
    await log.add(BookingCancelled, { bookingId: 'b2' });
    const store = fresh();
    const runner = new ProjectionRunner({ projection: bookings, store, feed: log, batchSize: 5, logger: quiet });
    await expect(runner.catchUp()).resolves.toBe(13);
    const view = store.read(bookings).collection<Booking>('bookings');
    expect(await view.count()).toBe(12);
    expect(await view.get('b2')).toEqual({ bookingId: 'b2', roomId: 'r2', status: 'cancelled' });
    expect((await view.find({ roomId: 'r1', status: 'booked' })).map((b) => b.bookingId)).toEqual([
      'b1',
      'b10',
      'b4',
      'b7',
    ]);
    expect(await store.read('bookings').collection('tally').get('all')).toEqual({ applied: 13 });

    runner.start();
    await log.add(RoomBooked, { bookingId: 'b13', roomId: 'r0' });
    await log.add(BookingCancelled, { bookingId: 'b13' });
    await expect.poll(() => view.get('b13')).toEqual({ bookingId: 'b13', roomId: 'r0', status: 'cancelled' });
    await runner.stop();
    expect(await store.checkpoint({ projection: 'bookings', version: 1 })).toBe(15);
    expect(await store.read('bookings').collection('tally').get('all')).toEqual({ applied: 15 });
  });

  it('never applies an event twice when two runners race on one slot: the loser gets CONCURRENCY_CONFLICT (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        async (events, batchA, batchB) => {
          const log = new EventLog();
          for (let i = 0; i < events; i++) await log.add(RoomBooked, { bookingId: `b${i}`, roomId: 'r' });
          const store = fresh();
          const runner = (batchSize: number) =>
            new ProjectionRunner({ projection: bookings, store, feed: log, batchSize, logger: quiet });
          const results = await Promise.allSettled([runner(batchA).catchUp(), runner(batchB).catchUp()]);
          expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
          for (const result of results) {
            if (result.status === 'rejected') expect(isTwofoldError(result.reason, 'CONCURRENCY_CONFLICT')).toBe(true);
          }
          expect(await store.read(bookings).collection('tally').get('all')).toEqual({ applied: events });
          expect(await store.read(bookings).collection('bookings').count()).toBe(events);
          expect(await store.checkpoint({ projection: 'bookings', version: 1 })).toBe(events);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('sends nothing for a failed batch, and includes an update the handler did not await', async () => {
    const store = fresh();
    await store.activate(slot);
    await store.commit(slot, START, at(1), (tx) => tx.collection('rooms').put('a', { n: 1 }));
    await store.commit(slot, at(1), at(2), (tx) => {
      void tx.collection<{ n: number }>('rooms').update('a', { n: 2 });
    });
    expect(await store.read('rooms').collection('rooms').get('a')).toEqual({ n: 2 });
    await expect(
      store.commit(slot, at(2), at(3), async (tx) => {
        tx.collection('rooms').put('b', { n: 1 });
        await tx.collection('rooms').get('a');
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await store.checkpoint(slot)).toBe(2);
    expect(await store.read('rooms').collection('rooms').count()).toBe(1);
  });

  it('serves each read whole from one version while another is activated, and drops every other version', async () => {
    const store = fresh();
    const v2 = { projection: 'rooms', version: 2 };
    const v3 = { projection: 'rooms', version: 3 };
    const fill = (version: number) => (tx: DocumentTx) => {
      for (let i = 0; i < 300; i++) tx.collection('rooms').put(`r${String(i).padStart(3, '0')}`, { version });
      tx.collection('guests').put('g', { version });
    };
    await store.commit(slot, START, at(1), fill(1));
    await store.activate(slot);
    await store.commit(v2, START, at(1), fill(2));
    await store.commit(v3, START, at(1), fill(3));
    const rooms = store.read('rooms').collection<{ version: number }>('rooms');
    const reads = Array.from({ length: 40 }, () => rooms.find());
    await store.activate(v2);
    for (const documents of await Promise.all(reads)) {
      expect(documents).toHaveLength(300);
      expect(new Set(documents.map((d) => d.version)).size).toBe(1);
    }
    expect((await rooms.find())[0]).toEqual({ version: 2 });
    expect(await store.activeVersion('rooms')).toBe(2);
    const keys = (await raw.keys(`test${prefixes}:*`)).sort();
    expect(keys).toEqual([
      `test${prefixes}:rooms:active`,
      ...['checkpoint', 'doc:guests', 'doc:rooms'].map((k) => `test${prefixes}:rooms@2:${k}`),
    ]);
  });

  it('reads nothing before a first activation, and keeps projections and prefixes apart', async () => {
    const store = fresh();
    const other = fresh();
    expect(await store.read('rooms').collection('rooms').find()).toEqual([]);
    expect(await store.read('rooms').collection('rooms').count()).toBe(0);
    expect(await store.read('rooms').collection('rooms').get('a')).toBeUndefined();
    await store.commit(slot, START, at(1), (tx) => tx.collection('rooms').put('a', { n: 1 }));
    await store.activate(slot);
    await store.commit({ projection: 'roomsX', version: 1 }, START, at(1), (tx) => tx.collection('rooms').put('b', {}));
    await store.activate({ projection: 'roomsX', version: 1 });
    expect(await store.read({ name: 'rooms' }).collection('rooms').find()).toEqual([{ n: 1 }]);
    expect(await other.read('rooms').collection('rooms').count()).toBe(0);
    expect(await other.checkpoint(slot)).toBe(START);
  });

  it('names the key and the document when stored data is corrupt', async () => {
    const store = fresh();
    const prefix = `test${prefixes}`;
    await store.commit(slot, START, at(1), (tx) => tx.collection('rooms').put('r1', { id: 'r1' }));
    await store.activate(slot);
    await raw.hset(`${prefix}:rooms@1:doc:rooms`, 'r1', '{"id": ');
    const rooms = store.read('rooms').collection('rooms');
    await expect(rooms.get('r1')).rejects.toThrow(CorruptDataError);
    await expect(rooms.get('r1')).rejects.toThrow(`Document r1 in ${prefix}:rooms@1:doc:rooms holds corrupt JSON`);
    await expect(rooms.find()).rejects.toThrow(/Document r1 in .*rooms@1:doc:rooms/);
    await expect(
      store.commit(slot, at(1), at(2), async (tx) => {
        await tx.collection('rooms').update('r1', { id: 'x' });
      }),
    ).rejects.toThrow(CorruptDataError);

    await raw.set(`${prefix}:rooms@1:checkpoint`, 'soon');
    await expect(store.checkpoint(slot)).rejects.toThrow(`${prefix}:rooms@1:checkpoint holds "soon", not a position`);
    await raw.set(`${prefix}:rooms:active`, 'v1');
    await expect(store.activeVersion('rooms')).rejects.toThrow(CorruptDataError);
    await expect(rooms.count()).rejects.toThrow(`${prefix}:rooms:active holds "v1", not a projection version`);
    await raw.set(`${prefix}:rooms@2:doc:rooms`, 'not a hash');
    await expect(
      store.commit({ projection: 'rooms', version: 2 }, START, at(1), (tx) => tx.collection('rooms').put('a', {})),
    ).rejects.toThrow(CorruptDataError);
    expect(await raw.get(`${prefix}:rooms@2:checkpoint`)).toBeNull();
  });

  it('refuses bad names and arguments with InvalidArgumentError', async () => {
    const store = fresh();
    const invalid = { name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT' };
    expect(() => redis({ redis: server.url, prefix: '' })).toThrow(/options.prefix/);
    expect(() => redis({ redis: server.url, readyTimeoutMs: 0 })).toThrow(/readyTimeoutMs/);
    expect(() => redis({ redis: 42 as unknown as string })).toThrow(/options.redis/);
    expect(() => redis({ redis: { port: server.port, keyPrefix: 'x:' } })).toThrow(
      /options.prefix rather than ioredis keyPrefix/,
    );
    for (const projection of ['', 'a:b', 'a@b', undefined as unknown as string]) {
      await expect(store.checkpoint({ projection, version: 1 })).rejects.toThrow(InvalidArgumentError);
      expect(() => store.read(projection)).toThrow(/A projection name must be a non-empty string without ':' or '@'/);
    }
    for (const version of [0, 1.5, -1, Number.NaN]) {
      await expect(store.activate({ projection: 'rooms', version })).rejects.toThrow(
        /A projection version must be an integer >= 1/,
      );
    }
    expect(() => store.read('rooms').collection('')).toThrow(/A collection name must be a non-empty string/);
    await expect(store.commit(slot, at(-1), at(1), () => {})).rejects.toThrow(/'from' must be a global position/);
    await expect(store.commit(slot, START, at(1.5), () => {})).rejects.toThrow(/'to' must be a global position/);
    await expect(store.commit(slot, START, at(1), 'work' as never)).rejects.toMatchObject(invalid);
    await expect(store.commit(slot, START, at(1), (tx) => tx.collection('rooms').put('a', undefined))).rejects.toThrow(
      /must be a JSON value/,
    );
    await expect(
      store.commit(slot, START, at(1), (tx) => tx.collection('rooms').put(7 as unknown as string, {})),
    ).rejects.toThrow(/A document id must be a string/);
    await expect(
      store
        .read('rooms')
        .collection('rooms')
        .get(7 as unknown as string),
    ).rejects.toMatchObject(invalid);
    expect(await store.checkpoint(slot)).toBe(START);
  });

  it('fails fast with RedisUnavailableError when Redis cannot be reached, and after close', async () => {
    // The store's own ready timer is the signal: each call fails when it fires, waiting for nothing else.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = fresh({ redis: 'redis://127.0.0.1:1', readyTimeoutMs: 100 });
      const failsWhenReadyTimesOut = async (call: Promise<unknown>) => {
        let settled = false;
        const failure = call.catch((error: unknown) => error).finally(() => (settled = true));
        await vi.advanceTimersByTimeAsync(99);
        expect(settled).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        expect(settled).toBe(true);
        return failure;
      };
      expect(await failsWhenReadyTimesOut(store.checkpoint(slot))).toBeInstanceOf(RedisUnavailableError);
      expect(String(await failsWhenReadyTimesOut(store.read('rooms').collection('rooms').find()))).toMatch(
        /Redis at 127.0.0.1:1 is unreachable/,
      );
    } finally {
      vi.useRealTimers();
    }

    const closed = fresh();
    await closed.close();
    await closed.close();
    await expect(closed.checkpoint(slot)).rejects.toThrow(/closed/);
    await expect(closed.checkpoint(slot)).rejects.toBeInstanceOf(RedisUnavailableError);
  });

  it('raises only TwofoldErrors: after close, and when Redis refuses a call (a plain ReplyError escaped)', async () => {
    const closed = fresh();
    await closed.close();
    const afterClose = await closed
      .read('rooms')
      .collection('rooms')
      .find()
      .catch((e: unknown) => e);
    expect(isTwofoldError(afterClose, 'UNAVAILABLE')).toBe(true);

    const store = fresh();
    await store.activate(slot);
    await raw.config('SET', 'maxmemory-policy', 'noeviction');
    await raw.config('SET', 'maxmemory', '1');
    try {
      const refused = await store
        .commit(slot, START, at(1), (tx) => tx.collection('rooms').put('a', { n: 1 }))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RedisUnavailableError);
      expect(isTwofoldError(refused, 'UNAVAILABLE')).toBe(true);
      expect((refused as Error).message).toMatch(/refused it: OOM/);
      expect((refused as Error).cause).toMatchObject({ name: 'ReplyError' });
    } finally {
      await raw.config('SET', 'maxmemory', '0');
    }
    expect(await store.checkpoint(slot)).toBe(START);
  });
});

describe('RedisDocumentStore when its connection drops during a commit', () => {
  // The connection is killed at varying moments: before the script reaches Redis, while Redis reads it, or after
  // it ran. Whichever it is, the commit must report what happened: applied whole, or refused having changed nothing.
  it('reports the commit as applied exactly when it was, whenever the connection drops', async () => {
    for (let round = 0; round < 12; round++) {
      const store = fresh();
      const documents = 5_000 * ((round % 4) + 1);
      await store.checkpoint(slot);
      const commit = store.commit(slot, START, at(1), (tx) => {
        for (let i = 0; i < documents; i++) tx.collection('rooms').put(`r${i}`, { i });
        setTimeout(() => void raw.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'), round % 3);
      });
      const outcome = await commit.then(
        () => 'applied',
        (error: unknown) => {
          expect(error).toBeInstanceOf(RedisUnavailableError);
          return 'refused';
        },
      );
      const stored = [await store.checkpoint(slot), await raw.hlen(`test${prefixes}:rooms@1:doc:rooms`)];
      expect(stored).toEqual(outcome === 'applied' ? [1, documents] : [0, 0]);
    }
  });
});

describe('RedisDocumentStore when Redis goes away', () => {
  let own: RedisServer;
  beforeAll(async () => {
    own = await startRedis();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('fails with RedisUnavailableError instead of hanging, and a runner rebuilds once Redis is back', async () => {
    const log = new EventLog();
    for (let i = 1; i <= 3; i++) await log.add(RoomBooked, { bookingId: `b${i}`, roomId: 'r1' });
    const store = fresh({ redis: own.url, readyTimeoutMs: 200 });
    const runner = new ProjectionRunner({
      projection: bookings,
      store,
      feed: log,
      logger: quiet,
      retryDelayMs: 10,
      maxRetryDelayMs: 50,
    });
    runner.start();
    const view = store.read(bookings).collection<Booking>('bookings');
    await expect.poll(() => view.count()).toBe(3);

    own.kill();
    // Both fail while Redis is still down: a call that waited for it to come back would never settle here.
    await expect(view.find()).rejects.toThrow(RedisUnavailableError);
    await expect(store.checkpoint({ projection: 'bookings', version: 1 })).rejects.toThrow(
      new RegExp(`Redis at 127.0.0.1:${own.port} is unreachable`),
    );
    await log.add(RoomBooked, { bookingId: 'b4', roomId: 'r1' });
    await expect
      .poll(async () => {
        const { state, failure } = await runner.status();
        return state === 'failing' && failure?.error instanceof RedisUnavailableError;
      })
      .toBe(true);

    // The test server keeps nothing on disk: Redis comes back empty, and the runner, started again, rebuilds.
    await own.restart();
    await runner.stop();
    runner.start();
    await expect.poll(() => view.count(), { timeout: 5000 }).toBe(4);
    await runner.stop();
    expect(await store.checkpoint({ projection: 'bookings', version: 1 })).toBe(4);
    expect(await store.read(bookings).collection('tally').get('all')).toEqual({ applied: 4 });
  });
});
