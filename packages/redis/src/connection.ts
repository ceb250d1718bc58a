import { InvalidArgumentError, TwofoldError, UnavailableError } from '@twofold/core';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis could not be reached: it is down or restarting, or the connection dropped during the call. A read can
 * simply be retried; a projection runner retries its batches itself, with backoff, once Redis is back.
 *
 * @example
 * try { return await views.read(bookings).collection<Booking>('bookings').get(id) }
 * catch (e) { if (e instanceof RedisUnavailableError) return serviceUnavailable(e.message); throw e }
 */
export class RedisUnavailableError extends UnavailableError {
  /** `'RedisUnavailableError'`. */
  override get name(): string {
    return 'RedisUnavailableError';
  }
}

// A command is never queued while disconnected nor resent after a reconnect: a call fails fast and says so,
// instead of hanging until Redis returns, and a commit is never applied behind the caller's back. Replies keep
// the RESP2 shapes the store reads (HGETALL as a flat array) whichever protocol is spoken.
const FAIL_FAST = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
  replyMapping: 'legacy',
} as const satisfies RedisOptions;

/**
 * A Redis handle's one ioredis client. Each call first waits (bounded) for a connection, and failures that come from
 * losing Redis become {@link RedisUnavailableError}; ioredis keeps reconnecting in the background.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly #where: string;
  readonly #readyTimeoutMs: number;
  #lastError: Error | undefined;

  constructor(redis: string | RedisOptions, readyTimeoutMs: number) {
    if (typeof redis !== 'string' && (typeof redis !== 'object' || redis === null)) {
      throw new InvalidArgumentError('redis(): options.redis must be a redis:// URL or ioredis options');
    }
    if (!Number.isSafeInteger(readyTimeoutMs) || readyTimeoutMs < 1) {
      throw new InvalidArgumentError(
        `redis(): options.readyTimeoutMs must be an integer >= 1; got ${String(readyTimeoutMs)}`,
      );
    }
    this.client = typeof redis === 'string' ? new Redis(redis, FAIL_FAST) : new Redis({ ...redis, ...FAIL_FAST });
    if (this.client.options.keyPrefix) {
      this.client.disconnect();
      // Scripts build keys themselves and SCAN matches raw keys: ioredis' prefixing would apply to neither.
      throw new InvalidArgumentError('redis(): use options.prefix rather than ioredis keyPrefix');
    }
    const { host, port, path } = this.client.options;
    this.#where = path ?? `${host ?? 'localhost'}:${port ?? 6379}`;
    this.#readyTimeoutMs = readyTimeoutMs;
    // Without a listener ioredis reports every failed reconnection attempt on stderr.
    this.client.on('error', (error: Error) => {
      this.#lastError = error;
    });
  }

  /**
   * Runs `call` once connected (waiting at most the ready timeout), turning a lost connection into
   * {@link RedisUnavailableError}. `what` names the operation in error messages.
   */
  async run<R>(what: string, call: (client: Redis) => Promise<R>): Promise<R> {
    await this.#ready(what);
    try {
      return await call(this.client);
    } catch (error) {
      throw this.lost(error) ? this.unavailable(what, error) : error;
    }
  }

  /**
   * {@link run} for a call that is safe to repeat (a read): when the connection turns out to be gone (Redis
   * closed an idle one, or failed over), it reconnects and makes the call once more before giving up.
   */
  async rerun<R>(what: string, call: (client: Redis) => Promise<R>): Promise<R> {
    await this.#ready(what);
    try {
      return await call(this.client);
    } catch (error) {
      if (!this.lost(error)) throw error;
      return this.run(what, call);
    }
  }

  /** True when `error` came from losing the connection rather than from Redis or the caller. */
  lost(error: unknown): boolean {
    if (error instanceof RedisUnavailableError) return true;
    if (!(error instanceof Error) || error instanceof TwofoldError || error.name === 'ReplyError') return false;
    return (
      this.client.status !== 'ready' ||
      error.name === 'MaxRetriesPerRequestError' ||
      /Connection is closed|Stream isn't writeable|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE/.test(error.message)
    );
  }

  /** The error for a call that failed because Redis could not be reached; `cause` is what ioredis said. */
  unavailable(what: string, cause: unknown = this.#lastError): RedisUnavailableError {
    if (cause instanceof RedisUnavailableError) return cause;
    const reason = cause instanceof Error ? ` (${cause.message})` : '';
    return new RedisUnavailableError(`${what}: Redis at ${this.#where} is unreachable${reason}`, { cause });
  }

  /**
   * The error for a call Redis answered with an error of its own (out of memory, loading, read-only replica, a
   * script that failed): the store could not do the work, and `cause` is Redis' reply.
   */
  refused(what: string, cause: unknown): RedisUnavailableError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new RedisUnavailableError(`${what}: Redis at ${this.#where} refused it: ${reason}`, { cause });
  }

  /** The error for a call made after {@link close}. */
  closed(what: string): RedisUnavailableError {
    return new RedisUnavailableError(`${what}: the Redis handle is closed`);
  }

  /** Closes the connection; calls after it fail. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  async #ready(what: string): Promise<void> {
    const client = this.client;
    if (client.status === 'ready') return;
    if (client.status === 'end') throw this.closed(what);
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('end', onEnd);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = () => done();
      const onEnd = () => done(this.closed(what));
      const timer = setTimeout(() => done(this.unavailable(what)), this.#readyTimeoutMs);
      client.once('ready', onReady);
      client.once('end', onEnd);
    });
  }
}
