import { abortError, InvalidArgumentError } from '../errors/errors.js';
import type { QueryDefinition } from '../messages/define.js';
import { validate } from '../messages/schema.js';
import type { DispatchContext } from './context.js';

/**
 * A streaming query's result as its caller iterates it: the dispatch (validation, middleware, the handler's call)
 * starts on the first `next()`, and its failures surface there.
 */
export function lazyStream(open: () => Promise<AsyncIterable<unknown>>): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* await open();
    },
  };
}

/**
 * The terminal of a streaming query: the handler's iterable, item by item, checked to be one, stopped when the
 * dispatch is cancelled, and each item validated when the mediator validates results.
 */
export async function* guardStream(
  ctx: DispatchContext,
  handler: (params: unknown, ctx: unknown) => unknown,
  validateResults: boolean,
): AsyncIterable<unknown> {
  const iterable = handler(ctx.data, ctx) as AsyncIterable<unknown>;
  if (iterable === null || typeof iterable !== 'object' || !(Symbol.asyncIterator in iterable)) {
    throw new InvalidArgumentError(`The handler of streaming query '${ctx.type}' must return an AsyncIterable`);
  }
  const result = (ctx.definition as QueryDefinition).result;
  for await (const item of iterable) {
    if (ctx.signal?.aborted) throw abortError(ctx.signal, ctx.type);
    yield validateResults ? await validate(result, item, ctx.type, 'stream item') : item;
  }
}
