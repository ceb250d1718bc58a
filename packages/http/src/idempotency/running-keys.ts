import { InvalidArgumentError } from '@twofold/core';

/**
 * Where the plugin marks the `Idempotency-Key`s of requests still running, so that a repeat that arrives before
 * the first has answered gets 409 `IDEMPOTENCY_KEY_IN_USE` instead of waiting on the same aggregate. Keys arrive
 * already scoped to the caller. It stores no responses: once a request has answered, its key
 * is released, and a repeat reaches the command, whose write model answers it from the idempotency record it
 * committed with its events (that record survives a restart and serves every node of the store).
 *
 * @example
 * await app.register(twofoldHttp, { mediator, idempotency: memoryRunningKeys({ max: 1_000 }) });
 */
export interface RunningKeys {
  /** Marks `key` as running; false when a request with that key is running already. */
  claim(key: string): Promise<boolean>;
  /** Unmarks `key` once its request has answered, successfully or not. */
  release(key: string): Promise<void>;
}

/** Options of {@link memoryRunningKeys}. */
export interface MemoryRunningKeysOptions {
  /** At most this many keys marked at once; beyond that the oldest marks are dropped. Default: 10,000. */
  readonly max?: number;
}

/**
 * {@link RunningKeys} in this process's memory. A key whose mark was dropped (more than `max` requests
 * with keys running at once) is still safe: of two runs under one key, the write store commits one and answers
 * the other from its record.
 *
 * @example
 * const idempotency = memoryRunningKeys({ max: 1_000 });
 */
export function memoryRunningKeys(options: MemoryRunningKeysOptions = {}): RunningKeys {
  const max = options.max ?? 10_000;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new InvalidArgumentError('memoryRunningKeys(): max must be an integer >= 1');
  }
  const running = new Set<string>();
  return {
    async claim(key) {
      if (running.has(key)) return false;
      // Sets iterate in insertion order, so the first key is the oldest mark.
      while (running.size >= max) running.delete(running.values().next().value as string);
      running.add(key);
      return true;
    },
    async release(key) {
      running.delete(key);
    },
  };
}
