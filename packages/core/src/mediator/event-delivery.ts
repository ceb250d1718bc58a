import { abortError } from '../errors/errors.js';
import type { DispatchContext, EventHandlerFailure, PublishReport } from './context.js';
import type { EventHandler } from './handlers.js';
import { call } from './pipeline.js';

/** How `publish` runs the handlers of one event: one after another, or all at once. */
export type PublishStrategy = 'sequential' | 'parallel';

/** One handler subscribed to an event type, with the name its failures are reported under. */
export interface EventSubscriber {
  readonly name: string;
  readonly handler: EventHandler;
}

/**
 * Runs every subscriber of one published event. A failing subscriber never stops the others: each failure
 * goes to `onFailure` and into the report. Sequential delivery stops early only when the dispatch is cancelled.
 */
export async function deliver(
  subscribers: readonly EventSubscriber[],
  ctx: DispatchContext,
  options: { readonly strategy: PublishStrategy; readonly onFailure: (failure: EventHandlerFailure) => void },
): Promise<PublishReport> {
  const failures: EventHandlerFailure[] = [];
  const list = subscribers.slice();
  const fail = (subscriber: EventSubscriber, error: unknown) => {
    const failure = { handler: subscriber.name, error, envelope: ctx.envelope };
    failures.push(failure);
    try {
      options.onFailure(failure);
    } catch (hookError) {
      ctx.logger.error({ err: hookError }, 'onEventHandlerError threw');
    }
  };
  if (options.strategy === 'parallel') {
    await Promise.all(
      list.map((s) => call(s.handler, ctx.data, ctx as never).catch((error: unknown) => fail(s, error))),
    );
  } else {
    for (const subscriber of list) {
      if (ctx.signal?.aborted) throw abortError(ctx.signal, ctx.type);
      try {
        await subscriber.handler(ctx.data, ctx as never);
      } catch (error) {
        fail(subscriber, error);
      }
    }
  }
  return { handlers: list.length, failures };
}
