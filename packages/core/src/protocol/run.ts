import { InvalidArgumentError } from '../errors/errors.js';

/**
 * A protocol written once for every database: a generator that yields each thing it waits for (a dialect call's
 * result, or what a user callback returned) and is resumed with its value. {@link runSync} drives it on a
 * synchronous driver (SQLite: no promise, no microtask), {@link runAsync} on an asynchronous one (PostgreSQL).
 *
 * @example
 * function* version(dialect: MyDialect, id: string): Protocol<number> {
 *   const found: number | undefined = yield dialect.version(id); // a value, or a promise of one
 *   return found ?? 0;
 * }
 * runSync(version(sqliteDialect, 'a'));        // number
 * await runAsync(version(postgresDialect, 'a')); // Promise<number>
 */
export type Protocol<R> = Generator<unknown, R, any>;

/** What a dialect call gives back: the value itself on a synchronous driver, a promise of it on an asynchronous one. */
export type Step<T> = T | PromiseLike<T>;

/** A promise a user callback returned, with what the callback was, for the message when it cannot be awaited. */
class CallbackPromise {
  readonly promise: PromiseLike<unknown>;
  readonly what: string;

  constructor(promise: PromiseLike<unknown>, what: string) {
    this.promise = promise;
    this.what = what;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Yield this for what a user callback returned (a handler, a participant): a synchronous driver refuses a promise
 * naming `what`, an asynchronous one awaits it. A value that is no promise passes through as it is.
 *
 * @example
 * yield callback(participant(tx, recorded), `Unit-of-work participant #${index + 1}`);
 */
export function callback(value: unknown, what: string): unknown {
  return isThenable(value) ? new CallbackPromise(value, what) : value;
}

/**
 * How a synchronous driver answers a promise it cannot wait for: it throws the error to give. The default fails
 * with INVALID_ARGUMENT saying that `what` returned a promise in a synchronous transaction, and so does
 * {@link runSync} when this returns.
 */
export type RefusePromise = (promise: PromiseLike<unknown>, what: string) => void;

const refuse = (promise: PromiseLike<unknown>, what: string): never => {
  // The promise is abandoned with the transaction; keep its eventual rejection from crashing the process.
  promise.then(undefined, () => undefined);
  throw new InvalidArgumentError(`${what} returned a promise: the transaction is synchronous, so it must not await`);
};

/**
 * Runs a protocol on a synchronous driver, to its end, without a microtask: every step must be a value. A
 * promise from a user callback is refused with `refusePromise`; one from a dialect call is a bug of the dialect.
 */
export function runSync<R>(protocol: Protocol<R>, refusePromise: RefusePromise = refuse): R {
  let next = protocol.next();
  while (!next.done) {
    const value = next.value;
    if (typeof value === 'object' && value !== null) {
      if (value instanceof CallbackPromise) {
        try {
          refusePromise(value.promise, value.what);
          refuse(value.promise, value.what);
        } catch (error) {
          next = protocol.throw(error);
          continue;
        }
      } else if (isThenable(value)) {
        next = protocol.throw(new TypeError('A synchronous dialect returned a promise'));
        continue;
      }
    }
    next = protocol.next(value);
  }
  return next.value;
}

/** Runs a protocol on an asynchronous driver: each step that is a promise is awaited, a plain value is not. */
export async function runAsync<R>(protocol: Protocol<R>): Promise<R> {
  let next = protocol.next();
  while (!next.done) {
    let value = next.value;
    if (typeof value === 'object' && value !== null) {
      const promise = value instanceof CallbackPromise ? value.promise : isThenable(value) ? value : undefined;
      if (promise !== undefined) {
        try {
          value = await promise;
        } catch (error) {
          next = protocol.throw(error);
          continue;
        }
      }
    }
    next = protocol.next(value);
  }
  return next.value;
}
