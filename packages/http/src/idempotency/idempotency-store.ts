import { InvalidArgumentError } from '@twofold/core';

/** A response kept for replay: what the first request with an idempotency key answered. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The serialized JSON body. */
  readonly body: string;
}

/** What claiming a key found: it was free (now ours), or an earlier request holds or completed it. */
export type IdempotencyClaim =
  | { readonly state: 'claimed' }
  | { readonly state: 'in-flight'; readonly fingerprint: string }
  | { readonly state: 'completed'; readonly fingerprint: string; readonly response: StoredResponse };

/**
 * Where the plugin keeps `Idempotency-Key` records. Keys arrive already scoped to the caller and the
 * command type; `fingerprint` is a hash of the request body. The in-memory default suits one process; a
 * durable store (SQLite, PostgreSQL) keeps records across restarts and nodes.
 *
 * @example
 * await app.register(twofoldHttp, { mediator, idempotency: memoryIdempotencyStore({ ttl: 3_600_000 }) });
 */
export interface IdempotencyStore {
  /** Claims `key` for a new request, or reports what the earlier request with that key did. */
  claim(key: string, fingerprint: string): Promise<IdempotencyClaim>;
  /** Records the response of the request that claimed `key`. */
  complete(key: string, response: StoredResponse): Promise<void>;
  /** Frees `key` after its request failed, so that a retry runs again. */
  release(key: string): Promise<void>;
}

/** Options of {@link memoryIdempotencyStore}. */
export interface MemoryIdempotencyOptions {
  /** How long a record is kept, in milliseconds. Default: 24 hours. */
  readonly ttl?: number;
  /** At most this many records; the oldest go first. Default: 10,000. */
  readonly max?: number;
}

interface MemoryRecord {
  readonly fingerprint: string;
  readonly expires: number;
  response: StoredResponse | undefined;
}

/**
 * An {@link IdempotencyStore} in memory: fine for one process and for tests, lost on restart.
 *
 * @example
 * const idempotency = memoryIdempotencyStore({ max: 1_000 });
 */
export function memoryIdempotencyStore(options: MemoryIdempotencyOptions = {}): IdempotencyStore {
  const ttl = options.ttl ?? 24 * 60 * 60 * 1000;
  const max = options.max ?? 10_000;
  if (!(ttl > 0)) throw new InvalidArgumentError('memoryIdempotencyStore(): ttl must be a number of milliseconds > 0');
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new InvalidArgumentError('memoryIdempotencyStore(): max must be an integer >= 1');
  }
  const records = new Map<string, MemoryRecord>();
  const live = (key: string, now: number): MemoryRecord | undefined => {
    const record = records.get(key);
    if (record !== undefined && record.expires <= now) {
      records.delete(key);
      return undefined;
    }
    return record;
  };
  return {
    async claim(key, fingerprint) {
      const now = Date.now();
      const record = live(key, now);
      if (record !== undefined) {
        return record.response === undefined
          ? { state: 'in-flight', fingerprint: record.fingerprint }
          : { state: 'completed', fingerprint: record.fingerprint, response: record.response };
      }
      // Maps iterate in insertion order, so the first key is the oldest record.
      while (records.size >= max) records.delete(records.keys().next().value as string);
      records.set(key, { fingerprint, expires: now + ttl, response: undefined });
      return { state: 'claimed' };
    },
    async complete(key, response) {
      const record = records.get(key);
      if (record !== undefined) record.response = response;
    },
    async release(key) {
      records.delete(key);
    },
  };
}
