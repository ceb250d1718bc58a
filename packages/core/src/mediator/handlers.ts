import type {
  CommandDefinition,
  EventDefinition,
  MessageDefinition,
  MessageKind,
  PayloadOf,
  QueryDefinition,
  ResultOf,
} from '../messages/define.js';
import type {
  AnyMiddlewareContext,
  CommandHandlerContext,
  CommandMiddlewareContext,
  EventHandlerContext,
  EventMiddlewareContext,
  PublishReport,
  QueryHandlerContext,
  QueryMiddlewareContext,
} from './context.js';

/** Handles one command type: validated data in, the command's declared result out. */
export type CommandHandler<D extends CommandDefinition = CommandDefinition> = (
  data: PayloadOf<D>,
  ctx: CommandHandlerContext<D>,
) => ResultOf<D> | Promise<ResultOf<D>>;

/** Answers one query type. A streaming query's handler returns an AsyncIterable of items. */
export type QueryHandler<D extends QueryDefinition = QueryDefinition> = D['streaming'] extends true
  ? (params: PayloadOf<D>, ctx: QueryHandlerContext<D>) => AsyncIterable<ResultOf<D>>
  : (params: PayloadOf<D>, ctx: QueryHandlerContext<D>) => ResultOf<D> | Promise<ResultOf<D>>;

/** Reacts to one event type. Any number may be registered per type. */
export type EventHandler<D extends EventDefinition = EventDefinition> = (
  data: PayloadOf<D>,
  ctx: EventHandlerContext<D>,
) => unknown;

/** The middleware result a scope implies: events resolve to a report, streaming queries to an iterable. */
export type PipelineResult<D extends MessageDefinition> = D extends EventDefinition
  ? PublishReport
  : D extends QueryDefinition<string, any, any, true>
    ? AsyncIterable<ResultOf<D>>
    : ResultOf<D>;

/** The middleware context of one message definition's kind, narrowed to it. */
export type ContextFor<D extends MessageDefinition> = D extends CommandDefinition
  ? CommandMiddlewareContext<D>
  : D extends QueryDefinition
    ? QueryMiddlewareContext<D>
    : D extends EventDefinition
      ? EventMiddlewareContext<D>
      : never;

/** The middleware context of a kind (`'command'`, `'query'`, `'event'`), or of any kind when none is given. */
export type ContextOfKind<K extends MessageKind | undefined> = K extends 'command'
  ? CommandMiddlewareContext
  : K extends 'query'
    ? QueryMiddlewareContext
    : K extends 'event'
      ? EventMiddlewareContext
      : AnyMiddlewareContext;
