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
    return promised(fn(a, b));
  } catch (error) {
    return Promise.reject(error);
  }
}

// A promise is returned as it is (even a subclass, which Promise.resolve would wrap): Promise.resolve would first
// look its `constructor` up generically, which costs as much as calling a small handler.
function promised<R>(value: R | Promise<R>): Promise<R> {
  return value instanceof Promise ? value : Promise.resolve(value);
}

/**
 * Composes `middlewares`, in order, around `terminal` into one function that runs a dispatch. Each `next` may be
 * called once; a second call rejects with MIDDLEWARE_MISUSE, because running the handler twice would repeat its
 * effects.
 */
export function compose<C, R>(
  middlewares: readonly Middleware<C, R>[],
  terminal: (ctx: C) => Promise<R>,
): (ctx: C) => Promise<R> {
  return middlewares.reduceRight(wrap<C, R>, terminal);
}

function wrap<C, R>(rest: (ctx: C) => Promise<R>, middleware: Middleware<C, R>, index: number): (ctx: C) => Promise<R> {
  // The closures made per dispatch are passed inline, never bound to a name: transpilers that keep function names
  // (tsx, esbuild's keepNames) would otherwise redefine each one's `name` property on every dispatch.
  // The middleware is called here rather than through call(), so that this call site sees only middlewares and
  // V8 can inline them.
  return (ctx) => {
    let called = false;
    try {
      return promised(
        middleware(ctx, () => {
          if (called) {
            return Promise.reject(
              new TwofoldError(
                'MIDDLEWARE_MISUSE',
                `Middleware #${index + 1} (${middleware.name || 'anonymous'}) called next() twice`,
              ),
            );
          }
          called = true;
          return rest(ctx);
        }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
