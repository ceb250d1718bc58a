import { abortError, InvalidArgumentError, NoHandlerError } from '../errors/errors.js';
import type { CommandDefinition } from '../messages/define.js';
import { DispatchEnvelope } from '../messages/envelope.js';
import { validate } from '../messages/schema.js';
import { assertStorable } from '../messages/storable-text.js';
import { misdirected } from './argument-checks.js';
import { type CommandMiddlewareContext, DispatchContext, type Dispatcher, type DispatchOptions } from './context.js';
import { checkedDeadline, runIn, signalOf } from './dispatch.js';
import type { ContextStorage } from './mediator-options.js';
import { ADMISSION, type Routes } from './routes.js';

/** The parts of a mediator that an admission runs on. */
export interface AdmissionSite {
  readonly routes: Routes;
  readonly dispatcher: Dispatcher;
  readonly storage: ContextStorage | undefined;
}

/**
 * `Mediator.admit`: the checks of a dispatch (definition, handler, options, storable text, schema), then the
 * command's middlewares around `accept`. Kept apart from the dispatch path, which it must not slow down.
 */
export async function admit(
  site: AdmissionSite,
  command: CommandDefinition,
  data: unknown,
  how: {
    readonly options: DispatchOptions | undefined;
    readonly accept: (ctx: CommandMiddlewareContext) => Promise<unknown>;
  },
): Promise<unknown> {
  const { options, accept } = how;
  if (typeof accept !== 'function') throw new InvalidArgumentError('admit(): accept must be a function');
  if (typeof command !== 'object' || command === null || (command as { kind?: unknown }).kind !== 'command') {
    throw misdirected('command', command);
  }
  const route = site.routes.route('command', command);
  if (route === undefined) throw new NoHandlerError('command', command.type);
  const deadline = options === undefined ? undefined : checkedDeadline('command', command.type, options, undefined);
  if (options?.signal?.aborted) throw abortError(options.signal, command.type);
  assertStorable(data, command.type);
  const payload = await validate(route.definition.schema, data, command.type);
  const envelope = new DispatchEnvelope('command', command.type, payload, options ?? {});
  const signal = signalOf(options, undefined, deadline);
  const ctx = new DispatchContext(site.dispatcher, route.definition, payload, envelope, signal, deadline, undefined);
  ctx.items.set(ADMISSION, accept);
  const pipeline = site.routes.admission(route);
  return site.storage === undefined ? pipeline(ctx) : runIn(site.storage, ctx, pipeline);
}
