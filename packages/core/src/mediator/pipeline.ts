import { TwofoldError } from '../errors/errors.js';

/**
 * A middleware wraps every dispatch it is scoped to: do work before, call `next()` once to run the rest of
 * the pipeline and the handler, do work after, and return the result (or a replacement, or throw).
 *
 * @example
 * const timing: Middleware = async (ctx, next) => {
 *   const start = performance.now();
 *   try { return await next(); } finally { console.log(ctx.type, performance.now() - start); }
 * };
 */
export type Middleware<C = unknown, R = unknown> = (ctx: C, next: () => Promise<R>) => Promise<R>;

/** Calls `fn` and always returns a promise: a synchronous throw becomes a rejection. */
export function call<A, B, R>(fn: (a: A, b: B) => R | Promise<R>, a: A, b: B): Promise<R> {
  try {
    return Promise.resolve(fn(a, b));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs `middlewares` in order around `terminal`. Each `next` may be called once; a second call rejects
 * with MIDDLEWARE_MISUSE, because running the handler twice would repeat its effects.
 */
export function runPipeline<C, R>(
  middlewares: readonly Middleware<C, R>[],
  ctx: C,
  terminal: (ctx: C) => Promise<R>,
): Promise<R> {
  const step = (index: number): Promise<R> => {
    if (index === middlewares.length) return terminal(ctx);
    const middleware = middlewares[index]!;
    let called = false;
    const next = (): Promise<R> => {
      if (called) {
        return Promise.reject(
          new TwofoldError(
            'MIDDLEWARE_MISUSE',
            `Middleware #${index + 1} (${middleware.name || 'anonymous'}) called next() twice`,
          ),
        );
      }
      called = true;
      return step(index + 1);
    };
    return call(middleware, ctx, next);
  };
  return step(0);
}
