import { AsyncLocalStorage } from 'node:async_hooks';
import type { AnyMiddlewareContext } from '../mediator/context.js';
import type { ContextStorage } from '../mediator/mediator.js';

/**
 * Opt-in: makes the dispatch in flight readable anywhere below its handler, for code that cannot be handed
 * the context (a legacy repository, a logger mixin). Each dispatch then pays one `AsyncLocalStorage.run`;
 * passing `ctx` explicitly costs nothing and stays the default.
 *
 * @example
 * import { asyncContext } from '@twofold/core/async-context';
 * const context = asyncContext();
 * const mediator = createMediator({ contextStorage: context });
 * // deep inside a handler's call tree:
 * const correlationId = context.current()?.envelope.correlationId;
 */
export interface AsyncContext extends ContextStorage {
  /** The context of the dispatch this code runs under, or undefined outside any dispatch. */
  current(): AsyncContextView | undefined;
}

/** What {@link AsyncContext.current} exposes of the dispatch in flight. */
export type AsyncContextView = Pick<
  AnyMiddlewareContext,
  'envelope' | 'kind' | 'type' | 'principal' | 'tenant' | 'signal'
>;

/**
 * Makes an {@link AsyncContext} on Node's `AsyncLocalStorage`; pass it to `createMediator({ contextStorage })`.
 *
 * @example
 * const context = asyncContext();
 * const mediator = createMediator({ contextStorage: context });
 */
export function asyncContext(): AsyncContext {
  const storage = new AsyncLocalStorage<AnyMiddlewareContext>();
  return {
    run: (ctx, fn) => storage.run(ctx, fn),
    current: () => storage.getStore(),
  };
}
