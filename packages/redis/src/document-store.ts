import {
  CorruptDataError,
  type DocumentReader,
  type DocumentTx,
  type GlobalPosition,
  InvalidArgumentError,
  type ProjectionSlot,
  type ProjectionStore,
  START,
  TwofoldError,
  type WritableCollection,
} from '@twofold/core';
import type { Redis } from 'ioredis';
import { type DocumentSource, readOnlyCollection, type Staged, stagedCollection } from './collections.js';
import { type RedisConnection, RedisUnavailableError } from './connection.js';
import { documentsSuffix, type KeyLayout, type ProjectionRef, projectionName } from './keys.js';
import { defineScripts, type ReadReply, type Scripts } from './scripts.js';

/**
 * A projection read store on Redis: each projection keeps collections of JSON documents (one hash per
 * collection and version), and a commit checks the checkpoint, writes the documents and moves the checkpoint in
 * one Lua script, so a crash can neither lose nor double-apply an event. A rebuilt version is swapped in
 * atomically; queries read the active version, each read in one step with finding which version that is.
 *
 * Handlers get core's `DocumentTx`: `put` and `delete` are staged and sent with the checkpoint in one step when
 * the batch commits; reads (`get`, `find`, `page`, `count`, `update`) see the batch's own staged writes. Await
 * each `update` before the next call. Queries read through core's `DocumentReader`. A collection is one hash with
 * no index, so `find`, `page` and `count(where)` read the whole hash and filter, order and cut in this process:
 * keep collections that are paged small, or page them on SQLite or PostgreSQL. Needs a single Redis server (or a
 * primary): the scripts build keys, which Redis Cluster does not allow.
 *
 * It is the `documents` of a Redis handle:
 *
 * @example
 * const views = redis({ redis: 'redis://127.0.0.1:6379', prefix: 'hotel' });
 * const runner = new ProjectionRunner({ projection: bookingsView, store: views.documents, feed: eventStore });
 * runner.start();
 * mediator.query(RoomBookings, ({ roomId }) => views.documents.read(bookingsView).collection<Booking>('bookings').find({ roomId }));
 * // on shutdown
 * await runner.stop();
 * await views.close();
 */
export class RedisDocumentStore implements ProjectionStore<DocumentTx> {
  readonly #keys: KeyLayout;
  readonly #connection: RedisConnection;
  readonly #scripts: Scripts;

  /** The store on a Redis handle's connection, its keys under the handle's prefix. */
  constructor(connection: RedisConnection, keys: KeyLayout) {
    this.#keys = keys;
    this.#connection = connection;
    this.#scripts = defineScripts(connection.client);
  }

  async checkpoint(slot: ProjectionSlot): Promise<GlobalPosition> {
    const key = this.#keys.checkpoint(slot);
    const stored = await this.#run(`checkpoint(${describe(slot)})`, (redis) => redis.get(key));
    return stored === null ? START : position(stored, key);
  }

  /**
   * Runs `work` on staged writes, then in one script: checks that the checkpoint is `from`, applies the writes
   * and moves the checkpoint to `to`. Nothing is sent when `work` throws; nothing changes on a conflict.
   */
  async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: DocumentTx) => void | Promise<void>,
  ): Promise<void> {
    const what = `Projection ${describe(slot)}`;
    const checkpointKey = this.#keys.checkpoint(slot);
    checkPosition(from, 'from', what);
    checkPosition(to, 'to', what);
    if (typeof work !== 'function') throw new InvalidArgumentError(`${what}: commit() needs a function as work`);
    const staged = new Map<string, Staged>();
    const pending = new Set<Promise<unknown>>();
    await work({ collection: <T>(name: string) => this.#writable<T>(slot, name, staged, pending) });
    // An update the handler did not await still belongs to this transaction.
    while (pending.size > 0) await Promise.all(pending);

    const keys = [checkpointKey];
    const args = [String(from), String(to)];
    for (const [key, writes] of staged) {
      const puts: string[] = [];
      const deletes: string[] = [];
      for (const [id, json] of writes) {
        if (json === null) deletes.push(id);
        else puts.push(id, json);
      }
      keys.push(key);
      args.push(String(puts.length / 2), String(deletes.length));
      for (const arg of puts) args.push(arg);
      for (const arg of deletes) args.push(arg);
    }
    let found: string;
    try {
      found = await this.#run(what, () => this.#scripts.commit(keys, args), false);
    } catch (error) {
      // The script may have run before the connection dropped; then the checkpoint is at `to` already.
      if (error instanceof RedisUnavailableError && to !== from && (await this.#reached(slot, to))) return;
      throw error;
    }
    if (found !== String(from)) {
      throw new TwofoldError(
        'CONCURRENCY_CONFLICT',
        `${what} is at ${found}, not ${from}: another runner applied these events`,
      );
    }
  }

  async activeVersion(projection: string): Promise<number | undefined> {
    const key = this.#keys.active(projection);
    const stored = await this.#run(`activeVersion(${projection})`, (redis) => redis.get(key));
    return stored === null ? undefined : version(stored, key);
  }

  /**
   * Makes `slot` the version queries read (one SET, atomic for readers), then deletes the keys of every other
   * version of the projection, found by SCAN.
   */
  async activate(slot: ProjectionSlot): Promise<void> {
    const what = `activate(${describe(slot)})`;
    this.#keys.slot(slot);
    const { projection } = slot;
    const active = this.#keys.active(projection);
    const pattern = this.#keys.scanPattern(projection);
    await this.#run(what, async (redis) => {
      await redis.set(active, String(slot.version));
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        const stale = found.filter((key) => {
          const of = this.#keys.versionOf(projection, key);
          return Number.isSafeInteger(of) && of !== slot.version;
        });
        if (stale.length > 0) await redis.unlink(...stale);
        cursor = next;
      } while (cursor !== '0');
    });
  }

  /**
   * The collections of a projection's active version, for query handlers: what has been committed, never a
   * transaction in progress. Empty before the projection's first version is activated.
   *
   * @example
   * const rooms = views.read(roomAvailability).collection<Room>('rooms');
   * const free = await rooms.find({ free: true });
   */
  read(projection: ProjectionRef): DocumentReader {
    const name = projectionName(projection);
    const active = this.#keys.active(name);
    const versions = this.#keys.versions(name);
    return {
      collection: <T>(collection: string) => {
        const suffix = `:${documentsSuffix(collection)}`;
        const what = `read(${name}).collection(${collection})`;
        const keyOf = (at: string) => `${versions}${version(at, active)}${suffix}`;
        const read = <R>(call: (scripts: Scripts) => Promise<ReadReply<R>>) =>
          this.#run(what, () => call(this.#scripts));
        const source: DocumentSource = {
          name: collection,
          get: async (id) => {
            const reply = await read((s) => s.get(active, versions, suffix, id));
            return reply.length === 0 ? { key: active, json: null } : { key: keyOf(reply[0]), json: reply[1] };
          },
          all: async () => {
            const reply = await read((s) => s.all(active, versions, suffix));
            return reply.length === 0
              ? { key: active, documents: new Map() }
              : { key: keyOf(reply[0]), documents: pairs(reply[1]) };
          },
          size: async () => {
            const reply = await read((s) => s.len(active, versions, suffix));
            if (reply.length === 0) return 0;
            keyOf(reply[0]);
            return Number(reply[1]);
          },
        };
        return readOnlyCollection<T>(source);
      },
    };
  }

  #writable<T>(
    slot: ProjectionSlot,
    name: string,
    staged: Map<string, Staged>,
    pending: Set<Promise<unknown>>,
  ): WritableCollection<T> {
    const key = this.#keys.documents(slot, name);
    let writes = staged.get(key);
    if (writes === undefined) {
      writes = new Map();
      staged.set(key, writes);
    }
    const what = `Projection ${describe(slot)}, collection ${name}`;
    const source: DocumentSource = {
      name,
      get: async (id) => ({ key, json: await this.#run(what, (redis) => redis.hget(key, id)) }),
      all: async () => ({ key, documents: pairs(await this.#run(what, (redis) => hgetall(redis, key))) }),
      size: async () => Number(await this.#run(what, (redis) => redis.hlen(key))),
    };
    const collection = stagedCollection<T>(source, key, writes);
    return {
      ...collection,
      update: (id, changes) => {
        const updating = collection.update(id, changes);
        pending.add(updating);
        const settle = () => pending.delete(updating);
        updating.then(settle, settle);
        return updating;
      },
    };
  }

  async #reached(slot: ProjectionSlot, to: GlobalPosition): Promise<boolean> {
    return (await this.checkpoint(slot).catch(() => undefined)) === to;
  }

  // Redis answers WRONGTYPE when a key the store owns holds something else than it wrote there. Everything but
  // the commit is safe to repeat after a reconnect. Every error leaves as a TwofoldError.
  async #run<R>(what: string, call: (redis: Redis) => Promise<R>, repeatable = true): Promise<R> {
    try {
      return await (repeatable ? this.#connection.rerun(what, call) : this.#connection.run(what, call));
    } catch (error) {
      if (error instanceof Error && error.name === 'ReplyError' && error.message.includes('WRONGTYPE')) {
        throw new CorruptDataError(
          `${what}: a key under '${this.#keys.prefix}:' holds another type: ${error.message}`,
          {
            cause: error,
          },
        );
      }
      // What the store itself raises passes through; anything else out of ioredis is Redis refusing the call.
      if (error instanceof TwofoldError) throw error;
      throw this.#connection.refused(what, error);
    }
  }
}

function describe(slot: ProjectionSlot): string {
  return `${slot?.projection}@${slot?.version}`;
}

function checkPosition(value: GlobalPosition, name: string, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what}: '${name}' must be a global position (an integer >= 0); got ${value}`);
  }
}

function position(stored: string, key: string): GlobalPosition {
  if (!/^(0|[1-9][0-9]*)$/.test(stored) || !Number.isSafeInteger(Number(stored))) {
    throw new CorruptDataError(`${key} holds ${JSON.stringify(stored)}, not a position`);
  }
  return Number(stored) as GlobalPosition;
}

function version(stored: string, key: string): number {
  if (!/^[1-9][0-9]*$/.test(stored) || !Number.isSafeInteger(Number(stored))) {
    throw new CorruptDataError(`${key} holds ${JSON.stringify(stored)}, not a projection version`);
  }
  return Number(stored);
}

// HGETALL as field/value pairs: ioredis' hgetall() builds a plain object, where an id like '__proto__' is lost.
async function hgetall(redis: Redis, key: string): Promise<string[]> {
  return (await redis.call('HGETALL', key)) as string[];
}

function pairs(flat: readonly string[]): Map<string, string> {
  const documents = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) documents.set(flat[i]!, flat[i + 1]!);
  return documents;
}
