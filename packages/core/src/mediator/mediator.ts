import { abortError, InvalidArgumentError, NoHandlerError } from '../errors/errors.js';
import type {
  CommandDefinition,
  EventDefinition,
  InputOf,
  MessageDefinition,
  MessageKind,
  QueryDefinition,
  ResultOf,
} from '../messages/define.js';
import { DispatchEnvelope } from '../messages/envelope.js';
import { type StandardSchemaV1, unwrap } from '../messages/schema.js';
import { assertStorable } from '../messages/storable-text.js';
import type { Logger } from '../runtime/logger.js';
import { admit } from './admission.js';
import { misdirected } from './argument-checks.js';
import { DispatchSignal, raceAbort, raceLinked } from './cancellation.js';
import {
  type AnyMiddlewareContext,
  type CommandExecution,
  type CommandMiddlewareContext,
  DispatchContext,
  type Dispatcher,
  type DispatchOptions,
  type PublishReport,
} from './context.js';
import { applyOptions, checkedDeadline, executed, Mode, runIn, signalOf } from './dispatch.js';
import type {
  CommandHandler,
  ContextFor,
  ContextOfKind,
  EventHandler,
  PipelineResult,
  QueryHandler,
} from './handlers.js';
import {
  type ContextStorage,
  type MediatorOptions,
  mediatorSettings,
  type PublishOptions,
  type QueryOptions,
} from './mediator-options.js';
import type { Middleware } from './pipeline.js';
import { type Route, Routes } from './routes.js';
import type { MiddlewareScope } from './scope.js';
import { lazyStream } from './streaming.js';

export type { ContextStorage, MediatorOptions, PublishOptions, QueryOptions } from './mediator-options.js';

/**
 * The mediator: a command bus (one handler per type), a query bus (one handler per type, read-only
 * context), and an event bus (any number of handlers), with one middleware pipeline around them all.
 *
 * @example
 * const mediator = createMediator()
 *   .command(BookRoom, async ({ roomId }) => ({ bookingId: `b-${roomId}` }))
 *   .query(FreeRooms, () => ['101', '102']);
 * const { bookingId } = await mediator.send(BookRoom, { roomId: '101', nights: 2 });
 */
export class Mediator {
  readonly #routes: Routes;
  readonly #storage: ContextStorage | undefined;
  readonly #dispatcher: Dispatcher;

  constructor(options: MediatorOptions = {}) {
    const settings = mediatorSettings(options);
    this.#routes = new Routes(settings);
    this.#storage = settings.contextStorage;
    this.#dispatcher = {
      logger: settings.logger,
      dispatch: (kind, definition, data, opts, parent) =>
        this.#dispatch(kind, definition, data, opts, parent, Mode.Plain),
      streamFrom: (definition, data, opts, parent) => this.#stream(definition, data, opts, parent),
      listens: (event) => this.#routes.listens(event),
    };
  }

  /** The logger the mediator and its handlers' contexts write to. */
  get logger(): Logger {
    return this.#dispatcher.logger;
  }

  /** Registers the one handler of a command type. A second registration for the same type throws. */
  command<D extends CommandDefinition>(definition: D, handler: CommandHandler<D>): this {
    this.#routes.addCommand(definition, handler as CommandHandler<CommandDefinition>);
    return this;
  }

  /** Registers the one handler of a query type. Its context can read (ask, stream) but never write. */
  query<D extends QueryDefinition>(definition: D, handler: QueryHandler<D>, options?: QueryOptions): this {
    this.#routes.addQuery(definition, handler as QueryHandler<QueryDefinition>, options);
    return this;
  }

  /**
   * The names of the read models a registered query waits for when asked with `after`, or undefined for a query
   * with no handler. An empty list means `after` has no effect on that query: transports say so to the caller.
   *
   * @example
   * mediator.readModels(FreeRooms) // ['roomAvailability']
   */
  readModels(query: QueryDefinition): readonly string[] | undefined {
    return this.#routes.readModels(query);
  }

  /**
   * Subscribes a handler to an event type. A failing handler never stops the others; its error goes to
   * `onEventHandlerError` and into the report that `publish` resolves to.
   */
  on<D extends EventDefinition>(definition: D, handler: EventHandler<D>, options?: { readonly name?: string }): this {
    this.#routes.subscribe(definition, handler as EventHandler<EventDefinition>, options?.name);
    return this;
  }

  /**
   * Adds a middleware. Without a scope it runs for every message; with one it runs only for a kind
   * (`{ kind: 'command' }`), a tag (`{ tag: 'billing' }`), both, or one message type (pass its definition).
   * Middlewares run in registration order, and the context type follows the scope.
   *
   * @example
   * mediator.use({ kind: 'command' }, async (ctx, next) => { audit(ctx.type, ctx.principal); return next(); });
   */
  use(middleware: Middleware<AnyMiddlewareContext>): this;
  use<D extends MessageDefinition>(definition: D, middleware: Middleware<ContextFor<D>, PipelineResult<D>>): this;
  use<K extends MessageKind | undefined = undefined>(
    scope: MiddlewareScope<K>,
    middleware: Middleware<ContextOfKind<K>>,
  ): this;
  use(scopeOrMiddleware: unknown, maybeMiddleware?: unknown): this {
    this.#routes.use(scopeOrMiddleware, maybeMiddleware);
    return this;
  }

  /** Sends a command to its one handler and resolves to the handler's declared result. */
  send<D extends CommandDefinition>(command: D, data: InputOf<D>, options?: DispatchOptions): Promise<ResultOf<D>> {
    return this.#dispatch('command', command, data, options, undefined, Mode.Plain) as Promise<ResultOf<D>>;
  }

  /**
   * Sends a command like {@link Mediator.send}, and resolves to its result together with the global position of
   * the last event it committed and its envelope. Transports use it to hand out read-your-writes tokens.
   *
   * @example
   * const { result, position } = await mediator.execute(BookRoom, input);
   * await mediator.ask(MyBookings, { guestId }, { after: position });
   */
  execute<D extends CommandDefinition>(
    command: D,
    data: InputOf<D>,
    options?: DispatchOptions,
  ): Promise<CommandExecution<ResultOf<D>>> {
    return this.#dispatch('command', command, data, options, undefined, Mode.Execute) as Promise<
      CommandExecution<ResultOf<D>>
    >;
  }

  /** Asks a query and resolves to its result, typed by the query's result schema. */
  ask<D extends QueryDefinition<string, any, any, false>>(
    query: D,
    params: InputOf<D>,
    options?: DispatchOptions,
  ): Promise<ResultOf<D>> {
    return this.#dispatch('query', query, params, options, undefined, Mode.Plain) as Promise<ResultOf<D>>;
  }

  /** Reads a streaming query: `for await (const item of mediator.stream(Query, params))`. */
  stream<D extends QueryDefinition<string, any, any, true>>(
    query: D,
    params: InputOf<D>,
    options?: DispatchOptions,
  ): AsyncIterable<ResultOf<D>> {
    return this.#stream(query, params, options, undefined) as AsyncIterable<ResultOf<D>>;
  }

  /** Publishes an event to every handler registered for its type; resolves once all have run. */
  publish<D extends EventDefinition>(event: D, data: InputOf<D>, options?: PublishOptions): Promise<PublishReport> {
    return this.#dispatch('event', event, data, options, undefined, Mode.Plain) as Promise<PublishReport>;
  }

  /**
   * Checks a command as `send` does and runs the middlewares scoped to it, with `accept` in place of its handler:
   * the payload is validated, every middleware (authorization among them) sees the command, and `accept` gets its
   * context and decides what the dispatch resolves to. The command queue admits a command this way, at once, to
   * run it later with `send`.
   *
   * @example
   * const id = await mediator.admit(BookRoom, input, { principal }, async (ctx) => ctx.envelope.id);
   */
  admit<D extends CommandDefinition, R>(
    command: D,
    data: InputOf<D>,
    options: DispatchOptions | undefined,
    accept: (ctx: CommandMiddlewareContext<D>) => Promise<R>,
  ): Promise<R> {
    return admit({ routes: this.#routes, dispatcher: this.#dispatcher, storage: this.#storage }, command, data, {
      options,
      accept: accept as never,
    }) as Promise<R>;
  }

  /** The registered definitions, for transports that expose them (HTTP routes, OpenAPI, typed clients). */
  definitions(): {
    readonly commands: readonly CommandDefinition[];
    readonly queries: readonly QueryDefinition[];
    readonly events: readonly EventDefinition[];
  } {
    return this.#routes.definitions();
  }

  #dispatch(
    kind: MessageKind,
    definition: MessageDefinition,
    data: unknown,
    options: DispatchOptions | undefined,
    parent: DispatchContext | undefined,
    mode: Mode,
  ): Promise<unknown> {
    const streaming = mode === Mode.Stream;
    if (typeof definition !== 'object' || definition === null || definition.kind !== kind) {
      return Promise.reject(misdirected(kind, definition));
    }
    if (kind === 'query' && (definition as QueryDefinition).streaming !== streaming) {
      return Promise.reject(
        new InvalidArgumentError(
          streaming
            ? `'${definition.type}' is not a streaming query; read it with ask()`
            : `'${definition.type}' is a streaming query; read it with stream()`,
        ),
      );
    }
    const route = this.#routes.route(kind, definition);
    if (route === undefined) return Promise.reject(new NoHandlerError(kind, definition.type));

    let deadline = parent?.deadline;
    if (options !== undefined) {
      try {
        deadline = checkedDeadline(kind, definition.type, options, deadline);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const aborted = options?.signal?.aborted ? options.signal : parent?.signal?.aborted ? parent.signal : undefined;
    if (aborted !== undefined) return Promise.reject(abortError(aborted, definition.type));

    // Every payload must be text every store can hold (no NUL, no lone surrogate, in values and property names alike):
    // a rule of Twofold, not of a schema, checked on what the caller sent. The schema is called directly rather than
    // through validate(): one call and one Promise check less.
    let payload: unknown;
    try {
      assertStorable(data, definition.type);
      const result = route.definition.schema['~standard'].validate(data);
      if (result instanceof Promise) return this.#runValidated(result, route, options, parent, deadline, mode);
      payload = unwrap(result, definition.type);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(route, payload, options, parent, deadline, mode);
  }

  // A method of its own: as a closure inside #dispatch it would make V8 keep #dispatch's locals on the heap on every call.
  #runValidated(
    result: Promise<StandardSchemaV1.Result<unknown>>,
    route: Route,
    options: DispatchOptions | undefined,
    parent: DispatchContext | undefined,
    deadline: number | undefined,
    mode: Mode,
  ): Promise<unknown> {
    return result.then((r) => this.#run(route, unwrap(r, route.definition.type), options, parent, deadline, mode));
  }

  #run(
    route: Route,
    payload: unknown,
    options: DispatchOptions | undefined,
    parent: DispatchContext | undefined,
    deadline: number | undefined,
    mode: Mode,
  ): Promise<unknown> {
    const { definition } = route;
    const listened = signalOf(options, parent, deadline);
    const envelope =
      options === undefined
        ? undefined
        : new DispatchEnvelope(route.kind, definition.type, payload, options, parent?.envelope);
    const ctx = new DispatchContext(this.#dispatcher, definition, payload, envelope, listened, deadline, parent);
    if (options !== undefined) applyOptions(ctx, options);
    const pipeline = route.pipeline ?? this.#routes.compose(route);
    const result = this.#storage === undefined ? pipeline(ctx) : runIn(this.#storage, ctx, pipeline);
    const settled =
      listened === undefined
        ? result
        : listened instanceof DispatchSignal
          ? raceLinked(result, listened, definition.type, mode === Mode.Stream)
          : raceAbort(result, listened, definition.type);
    return mode === Mode.Execute ? executed(settled, ctx) : settled;
  }

  #stream(
    definition: MessageDefinition,
    params: unknown,
    options: DispatchOptions | undefined,
    parent: DispatchContext | undefined,
  ): AsyncIterable<unknown> {
    return lazyStream(
      () =>
        this.#dispatch('query', definition, params, options, parent, Mode.Stream) as Promise<AsyncIterable<unknown>>,
    );
  }
}

/**
 * Creates a mediator. Register handlers with `command`, `query` and `on`, middleware with `use`.
 *
 * @example
 * const mediator = createMediator({ publishStrategy: 'parallel' });
 */
export function createMediator(options?: MediatorOptions): Mediator {
  return new Mediator(options);
}
