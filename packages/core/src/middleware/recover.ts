import { InvalidArgumentError } from '../errors/errors.js';
import type { AnyMiddlewareContext } from '../mediator/context.js';
import type { Middleware } from '../mediator/pipeline.js';

/** A class whose instances are `E`, for `instanceof`: an error class to recover from. */
export type ErrorClass<E> = abstract new (...args: any[]) => E;

/**
 * Maps or recovers errors of one class. The handler gets the error and the context: return a value to
 * recover (it becomes the dispatch's result), or throw to replace the error with another.
 *
 * @example
 * // A payment gateway timeout becomes a domain outcome the caller can switch on:
 * mediator.use({ kind: 'command' }, recover(GatewayTimeout, () => { throw new DomainError('PAYMENT_PENDING', 'Try again') }));
 * // A missing cache entry recovers with an empty result:
 * mediator.use(FreeRooms, recover(CacheMiss, () => []));
 */
export function recover<E, C extends AnyMiddlewareContext = AnyMiddlewareContext, R = unknown>(
  errorClass: ErrorClass<E>,
  handle: (error: E, ctx: C) => NoInfer<R> | Promise<NoInfer<R>>,
): Middleware<C, R> {
  if (typeof errorClass !== 'function') {
    throw new InvalidArgumentError('recover(): the first argument must be an error class, e.g. TypeError');
  }
  if (typeof handle !== 'function') throw new InvalidArgumentError('recover(): the handler must be a function');
  return async function recoverMiddleware(ctx, next) {
    try {
      return await next();
    } catch (error) {
      if (error instanceof errorClass) return handle(error, ctx);
      throw error;
    }
  };
}
