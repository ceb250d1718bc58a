import type { StandardSchemaV1 } from '@twofold/core';

type Handler = (payload: any) => Promise<unknown>;
type BareMiddleware = (ctx: unknown, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * The physical limit of an in-process bus: a Map lookup and a direct call of the handler, with nothing
 * else on the path unless a row asks for it (validation, composed middlewares).
 */
export class BareBus {
  readonly #handlers = new Map<string, Handler>();

  register(type: string, handler: Handler): this {
    this.#handlers.set(type, handler);
    return this;
  }

  dispatch(type: string, payload: unknown): Promise<unknown> {
    return this.#handlers.get(type)!(payload);
  }
}

/** Composes middlewares around a handler once, ahead of time: each call allocates only the `next` closures. */
export function composed(middlewares: readonly BareMiddleware[], handler: Handler): Handler {
  return middlewares.reduceRight<Handler>((next, middleware) => (ctx) => middleware(ctx, () => next(ctx)), handler);
}

/** Validates the payload through the schema's Standard Schema interface before calling the handler. */
export function validated(schema: StandardSchemaV1, handler: Handler): Handler {
  const validate = schema['~standard'].validate;
  return (payload) => {
    const result = validate(payload);
    if (result instanceof Promise) throw new TypeError('the bench uses synchronous schemas only');
    if (result.issues !== undefined) return Promise.reject(new TypeError(result.issues[0]?.message));
    return handler(result.value);
  };
}

/** A middleware that only calls the rest of the chain. */
export const passThrough: BareMiddleware = (_ctx, next) => next();
