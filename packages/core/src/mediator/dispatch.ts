import { InvalidArgumentError } from '../errors/errors.js';
import type { MessageKind } from '../messages/define.js';
import { envelopeOptionsProblem } from '../messages/envelope.js';
import { combineSignals, type DispatchSignal, ownDeadline } from './cancellation.js';
import type { CommandExecution, DispatchContext, DispatchOptions } from './context.js';
import type { ContextStorage, PublishOptions } from './mediator-options.js';
import { STRATEGY } from './routes.js';

/** What a dispatch resolves to: the result, an iterable of a streaming query's results, or the result and more. */
export const Mode = { Plain: 0, Stream: 1, Execute: 2 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

// The helpers below keep the options and the rarer paths out of the mediator's #run: its closures would make V8
// keep its locals on the heap, and its size would keep it from being inlined, on every dispatch.

/**
 * Checks the options of one dispatch and returns its deadline: the sooner of its parent's and its own. Throws
 * INVALID_ARGUMENT naming the message type and the bad option.
 */
export function checkedDeadline(
  kind: MessageKind,
  type: string,
  options: DispatchOptions,
  inherited: number | undefined,
): number | undefined {
  const problem =
    typeof options !== 'object' || options === null ? 'options must be an object' : envelopeOptionsProblem(options);
  if (problem !== undefined) throw new InvalidArgumentError(`${type}: ${problem}`);
  if (options.after !== undefined && (!Number.isSafeInteger(options.after) || options.after < 0)) {
    throw new InvalidArgumentError(`${type}: options.after must be a global position (an integer >= 0)`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(`${type}: options.signal must be an AbortSignal`);
  }
  let deadline = inherited;
  if (options.signal !== undefined || options.deadline !== undefined || options.timeout !== undefined) {
    const own = ownDeadline(options, type);
    if (own !== undefined && (deadline === undefined || own < deadline)) deadline = own;
  }
  const { strategy } = options as PublishOptions;
  if (kind === 'event' && strategy !== undefined && strategy !== 'sequential' && strategy !== 'parallel') {
    throw new InvalidArgumentError(
      `publish('${type}'): options.strategy must be 'sequential' or 'parallel'; got ${JSON.stringify(strategy)}`,
    );
  }
  return deadline;
}

/** Copies what the options say about a query's consistency or an event's delivery onto its context. */
export function applyOptions(ctx: DispatchContext, options: DispatchOptions): void {
  if (ctx.kind === 'query' && options.after !== undefined) {
    ctx.after = options.after;
    ctx.allowStale = options.allowStale === true;
  }
  if (ctx.kind === 'event' && (options as PublishOptions).strategy !== undefined) {
    ctx.items.set(STRATEGY, (options as PublishOptions).strategy);
  }
}

/** The signal a dispatch listens to: its parent's, unless its options bring a signal or a deadline of their own. */
export function signalOf(
  options: DispatchOptions | undefined,
  parent: DispatchContext | undefined,
  deadline: number | undefined,
): AbortSignal | DispatchSignal | undefined {
  if (
    options === undefined ||
    (options.signal === undefined && options.deadline === undefined && options.timeout === undefined)
  ) {
    return parent?.signal;
  }
  return combineSignals(options.signal, parent?.signal, deadline);
}

/** Runs the pipeline inside the context storage, so that code far from the handler can read the context. */
export function runIn(
  storage: ContextStorage,
  ctx: DispatchContext,
  pipeline: (ctx: DispatchContext) => Promise<unknown>,
): Promise<unknown> {
  // The storage sees the dispatch as the middleware context of its kind, which DispatchContext is.
  return storage.run(ctx as never, () => pipeline(ctx));
}

/** What `execute` resolves to, once the command has settled. */
export function executed(settled: Promise<unknown>, ctx: DispatchContext): Promise<CommandExecution<unknown>> {
  return settled.then((result) => ({ result, position: ctx.position, envelope: ctx.envelope, replayed: ctx.replayed }));
}
