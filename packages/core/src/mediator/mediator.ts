import type { ReadModelProgress } from '../consistency/read-model-progress.js';
import {
  ConsistencyTimeoutError,
  InvalidArgumentError,
  isTwofoldError,
  NoHandlerError,
  TwofoldError,
} from '../errors/errors.js';
import type {
  CommandDefinition,
  EventDefinition,
  InputOf,
  MessageDefinition,
  MessageKind,
  QueryDefinition,
  ResultOf,
} from '../messages/define.js';
import { DispatchEnvelope, envelopeOptionsProblem } from '../messages/envelope.js';
import { type StandardSchemaV1, unwrap, validate } from '../messages/schema.js';
import { assertStorable } from '../messages/storable-text.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import { assertDefinition, assertHandler, assertStrategy, misdirected } from './argument-checks.js';
import { abortError, combineSignals, DispatchSignal, ownDeadline, raceAbort, raceLinked } from './cancellation.js';
import {
  type AnyMiddlewareContext,
  DispatchContext,
  type Dispatcher,
  type DispatchOptions,
  type EventHandlerFailure,
  type Executed,
  type PublishReport,
} from './context.js';
import { deliver, type EventSubscriber, type PublishStrategy } from './event-delivery.js';
import type {
  CommandHandler,
  ContextFor,
  ContextOfKind,
  EventHandler,
  PipelineResult,
  QueryHandler,
} from './handlers.js';
import { call, compose, type Middleware } from './pipeline.js';
import { type MiddlewareScope, parseScope, type ScopeFilter, scopeMatches } from './scope.js';

/** Options of `publish`. */
export interface PublishOptions extends DispatchOptions {
  /** Overrides the mediator's `publishStrategy` for this event. */
  readonly strategy?: PublishStrategy;
}

/**
 * Runs each dispatch inside a store that code far from the handler can read. Opt-in: see
 * `@twofold/core/async-context`; passing the context explicitly is cheaper and the default.
 */
export interface ContextStorage {
  run<R>(ctx: DispatchContext, fn: () => R): R;
}

/** Options of {@link createMediator}. Every one has a safe default. */
export interface MediatorOptions {
  /** Where the mediator reports event handler failures and misuse. Default: JSON lines on stderr, warn and up. */
  readonly logger?: Logger;
  /** Default strategy of `publish`. Default: 'sequential', in registration order. */
  readonly publishStrategy?: PublishStrategy;
  /** Called once per failed event handler. Default: logs the failure at error level. */
  readonly onEventHandlerError?: (failure: EventHandlerFailure) => void;
  /** Also validate handler results against the result schemas. Default: false (results are trusted). */
  readonly validateResults?: boolean;
  /** Makes the current dispatch context readable through AsyncLocalStorage. Default: none. */
  readonly contextStorage?: ContextStorage;
  /** How long `ask(..., { after })` waits for read models to catch up, in ms (a shorter deadline wins). Default: 5000. */
  readonly consistencyTimeout?: number;
}

/** Options of `mediator.query()`. */
export interface QueryOptions {
  /**
   * The read models the handler reads. `ask(query, params, { after })` waits until each has passed `after`
   * before running the handler, so a caller reads its own writes.
   */
  readonly reads?: readonly ReadModelProgress[];
}

interface Route {
  readonly kind: MessageKind;
  readonly definition: MessageDefinition;
  readonly terminal: (ctx: DispatchContext) => Promise<unknown>;
  /** The terminal inside the middlewares scoped to this route, composed on first dispatch. */
  pipeline: ((ctx: DispatchContext) => Promise<unknown>) | undefined;
}

interface EventRoute extends Route {
  readonly subscribers: EventSubscriber[];
}

interface MiddlewareEntry extends ScopeFilter {
  readonly middleware: Middleware<DispatchContext>;
}

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
  readonly #commands = new Map<string, Route>();
  readonly #queries = new Map<string, Route>();
  readonly #events = new Map<string, EventRoute>();
  readonly #reads = new Map<string, readonly string[]>();
  readonly #middlewares: MiddlewareEntry[] = [];
  readonly #strategy: PublishStrategy;
  readonly #onEventHandlerError: (failure: EventHandlerFailure) => void;
  readonly #validateResults: boolean;
  readonly #storage: ContextStorage | undefined;
  readonly #consistencyTimeout: number;
  readonly #dispatcher: Dispatcher;

  constructor(options: MediatorOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('createMediator: options must be an object');
    }
    const logger = options.logger ?? consoleLogger('warn');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      if (typeof logger[level] !== 'function') {
        throw new InvalidArgumentError(
          `createMediator: options.logger must have a ${level}() method (pino-compatible)`,
        );
      }
    }
    const strategy = options.publishStrategy ?? 'sequential';
    assertStrategy(strategy, 'createMediator: options.publishStrategy');
    this.#strategy = strategy;
    this.#validateResults = options.validateResults ?? false;
    this.#storage = options.contextStorage;
    this.#consistencyTimeout = options.consistencyTimeout ?? 5_000;
    if (!(this.#consistencyTimeout >= 0)) {
      throw new InvalidArgumentError(
        'createMediator: options.consistencyTimeout must be a number of milliseconds >= 0',
      );
    }
    this.#onEventHandlerError =
      options.onEventHandlerError ??
      ((failure) =>
        logger.error(
          { err: failure.error, handler: failure.handler, type: failure.envelope.type, messageId: failure.envelope.id },
          `Event handler '${failure.handler}' failed on ${failure.envelope.type}`,
        ));
    this.#dispatcher = {
      logger,
      dispatch: (kind, definition, data, opts, parent) =>
        this.#dispatch(kind, definition, data, opts, parent, Mode.Plain),
      streamFrom: (definition, data, opts, parent) => this.#stream(definition, data, opts, parent),
      listens: (event) =>
        (this.#events.get(event.type)?.subscribers.length ?? 0) > 0 ||
        this.#middlewares.some((entry) => scopeMatches(entry, event)),
    };
  }

  /** The logger the mediator and its handlers' contexts write to. */
  get logger(): Logger {
    return this.#dispatcher.logger;
  }

  /** Registers the one handler of a command type. A second registration for the same type throws. */
  command<D extends CommandDefinition>(definition: D, handler: CommandHandler<D>): this {
    assertDefinition(definition, 'command', 'command()');
    assertHandler(handler, `command('${definition.type}')`);
    this.#register(this.#commands, definition, (ctx) => {
      const result = call(handler as CommandHandler, ctx.data, ctx as never);
      return this.#validateResults && definition.result !== undefined
        ? result.then((value) => validate(definition.result!, value, definition.type, 'result'))
        : result;
    });
    return this;
  }

  /** Registers the one handler of a query type. Its context can read (ask, stream) but never write. */
  query<D extends QueryDefinition>(definition: D, handler: QueryHandler<D>, options?: QueryOptions): this {
    assertDefinition(definition, 'query', 'query()');
    assertHandler(handler, `query('${definition.type}')`);
    const reads = options?.reads ?? [];
    if (!Array.isArray(reads) || reads.some((r) => typeof r?.name !== 'string' || typeof r.waitFor !== 'function')) {
      throw new InvalidArgumentError(
        `query('${definition.type}'): options.reads must be an array of read models, each with a name and waitFor()`,
      );
    }
    const answer = definition.streaming
      ? (ctx: DispatchContext) =>
          call(this.#guardStream.bind(this), ctx, handler as (p: unknown, c: unknown) => unknown)
      : (ctx: DispatchContext) => {
          const result = call(handler as (p: unknown, c: unknown) => unknown, ctx.data, ctx);
          return this.#validateResults
            ? result.then((value) => validate(definition.result, value, definition.type, 'result'))
            : result;
        };
    const terminal =
      reads.length === 0
        ? answer
        : (ctx: DispatchContext) =>
            ctx.after === undefined ? answer(ctx) : this.#awaitReads(reads, ctx).then(() => answer(ctx));
    this.#register(this.#queries, definition, terminal);
    this.#reads.set(
      definition.type,
      reads.map((read) => read.name),
    );
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
    return this.#reads.get(query?.type);
  }

  /**
   * Subscribes a handler to an event type. A failing handler never stops the others; its error goes to
   * `onEventHandlerError` and into the report that `publish` resolves to.
   */
  on<D extends EventDefinition>(definition: D, handler: EventHandler<D>, options?: { readonly name?: string }): this {
    assertDefinition(definition, 'event', 'on()');
    assertHandler(handler, `on('${definition.type}')`);
    const route = this.#eventRoute(definition);
    if (route.definition !== definition && route.definition.schema !== definition.schema) {
      throw new InvalidArgumentError(`on('${definition.type}'): another event definition with this type is registered`);
    }
    const name = options?.name ?? (handler.name || `${definition.type} handler #${route.subscribers.length + 1}`);
    route.subscribers.push({ name, handler: handler as EventHandler });
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
    const scoped = maybeMiddleware !== undefined || typeof scopeOrMiddleware !== 'function';
    const middleware = scoped ? maybeMiddleware : scopeOrMiddleware;
    if (typeof middleware !== 'function') {
      throw new InvalidArgumentError(
        `use(): the middleware must be a function (ctx, next) => Promise; got ${typeof middleware}`,
      );
    }
    const filter = scoped ? parseScope(scopeOrMiddleware) : {};
    this.#middlewares.push({ ...filter, middleware: middleware as Middleware<DispatchContext> });
    for (const routes of [this.#commands, this.#queries, this.#events]) {
      for (const route of routes.values()) route.pipeline = undefined;
    }
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
  ): Promise<Executed<ResultOf<D>>> {
    return this.#dispatch('command', command, data, options, undefined, Mode.Execute) as Promise<Executed<ResultOf<D>>>;
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

  /** The registered definitions, for transports that expose them (HTTP routes, OpenAPI, typed clients). */
  definitions(): {
    readonly commands: readonly CommandDefinition[];
    readonly queries: readonly QueryDefinition[];
    readonly events: readonly EventDefinition[];
  } {
    const of = <T>(routes: Map<string, Route>) => [...routes.values()].map((r) => r.definition as T);
    return { commands: of(this.#commands), queries: of(this.#queries), events: of(this.#events) };
  }

  #register(routes: Map<string, Route>, definition: MessageDefinition, terminal: Route['terminal']): void {
    if (routes.has(definition.type)) {
      throw new TwofoldError(
        'DUPLICATE_HANDLER',
        `A ${definition.kind} handler for '${definition.type}' is already registered; a ${definition.kind} has exactly one handler`,
      );
    }
    routes.set(definition.type, { kind: definition.kind, definition, terminal, pipeline: undefined });
  }

  #eventRoute(definition: EventDefinition): EventRoute {
    let route = this.#events.get(definition.type);
    if (route === undefined) {
      const subscribers: EventSubscriber[] = [];
      route = {
        kind: 'event',
        definition,
        subscribers,
        terminal: (ctx) =>
          deliver(subscribers, ctx, {
            strategy: (ctx.items.get(STRATEGY) as PublishStrategy | undefined) ?? this.#strategy,
            onFailure: this.#onEventHandlerError,
          }),
        pipeline: undefined,
      };
      this.#events.set(definition.type, route);
    }
    return route;
  }

  #route(kind: MessageKind, definition: MessageDefinition): Route | undefined {
    switch (kind) {
      case 'command':
        return this.#commands.get(definition.type);
      case 'query':
        return this.#queries.get(definition.type);
      case 'event':
        return this.#eventRoute(definition as EventDefinition);
      default:
        return kind satisfies never;
    }
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
    const route = this.#route(kind, definition);
    if (route === undefined) return Promise.reject(new NoHandlerError(kind, definition.type));

    let deadline = parent?.deadline;
    if (options !== undefined) {
      const problem =
        typeof options !== 'object' || options === null ? 'options must be an object' : envelopeOptionsProblem(options);
      if (problem !== undefined) return Promise.reject(new InvalidArgumentError(`${definition.type}: ${problem}`));
      if (options.after !== undefined && (!Number.isSafeInteger(options.after) || options.after < 0)) {
        return Promise.reject(
          new InvalidArgumentError(`${definition.type}: options.after must be a global position (an integer >= 0)`),
        );
      }
      if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        return Promise.reject(new InvalidArgumentError(`${definition.type}: options.signal must be an AbortSignal`));
      }
      if (options.signal !== undefined || options.deadline !== undefined || options.timeout !== undefined) {
        let own: number | undefined;
        try {
          own = ownDeadline(options, definition.type);
        } catch (error) {
          return Promise.reject(error);
        }
        if (own !== undefined && (deadline === undefined || own < deadline)) deadline = own;
      }
      const { strategy } = options as PublishOptions;
      if (kind === 'event' && strategy !== undefined && strategy !== 'sequential' && strategy !== 'parallel') {
        return Promise.reject(
          new InvalidArgumentError(
            `publish('${definition.type}'): options.strategy must be 'sequential' or 'parallel'; got ${JSON.stringify(strategy)}`,
          ),
        );
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
    const pipeline = route.pipeline ?? this.#composeFor(route);
    const result = this.#storage === undefined ? pipeline(ctx) : runIn(this.#storage, ctx, pipeline);
    const settled =
      listened === undefined
        ? result
        : listened instanceof DispatchSignal
          ? raceLinked(result, listened, definition.type, mode === Mode.Stream)
          : raceAbort(result, listened, definition.type);
    return mode === Mode.Execute ? executed(settled, ctx) : settled;
  }

  // Waits, after the middleware (a refused caller never waits) and before the handler, for every read model
  // the query reads to pass `ctx.after`, for at most the consistency timeout. A read model that is stopped, or a
  // position ahead of the log, fails the wait at once; the other waits are then released, not left to time out.
  #awaitReads(reads: readonly ReadModelProgress[], ctx: DispatchContext): Promise<void> {
    const after = ctx.after!;
    // The dispatch's own deadline already acts through ctx.signal (and reports DEADLINE_EXCEEDED).
    const timer = AbortSignal.timeout(this.#consistencyTimeout);
    const done = new AbortController();
    const signal = AbortSignal.any(ctx.signal === undefined ? [timer, done.signal] : [ctx.signal, timer, done.signal]);
    const caughtUp = new Set<ReadModelProgress>();
    const waits = reads.map((read) => read.waitFor(after, signal).then(() => void caughtUp.add(read)));
    return Promise.all(waits).then(
      () => undefined,
      (error: unknown) => {
        done.abort(error);
        if (ctx.signal?.aborted) throw abortError(ctx.signal, ctx.type);
        const stopped = isTwofoldError(error, 'PROJECTION_STOPPED');
        if (!timer.aborted && !stopped) throw error;
        const lagging = reads.filter((read) => !caughtUp.has(read)).map((read) => read.name);
        if (!ctx.allowStale) throw stopped ? error : new ConsistencyTimeoutError(ctx.type, after, lagging);
        ctx.logger.debug({ type: ctx.type, after, lagging }, 'answering from stale read models');
      },
    );
  }

  #composeFor(route: Route): (ctx: DispatchContext) => Promise<unknown> {
    const chain = this.#middlewares.filter((entry) => scopeMatches(entry, route.definition)).map((e) => e.middleware);
    route.pipeline = compose(chain, route.terminal);
    return route.pipeline;
  }

  #stream(
    definition: MessageDefinition,
    params: unknown,
    options: DispatchOptions | undefined,
    parent: DispatchContext | undefined,
  ): AsyncIterable<unknown> {
    const open = () =>
      this.#dispatch('query', definition, params, options, parent, Mode.Stream) as Promise<AsyncIterable<unknown>>;
    return {
      async *[Symbol.asyncIterator]() {
        yield* await open();
      },
    };
  }

  async *#guardStream(ctx: DispatchContext, handler: (p: unknown, c: unknown) => unknown): AsyncIterable<unknown> {
    const iterable = handler(ctx.data, ctx) as AsyncIterable<unknown>;
    if (iterable === null || typeof iterable !== 'object' || !(Symbol.asyncIterator in iterable)) {
      throw new InvalidArgumentError(`The handler of streaming query '${ctx.type}' must return an AsyncIterable`);
    }
    const result = (ctx.definition as QueryDefinition).result;
    for await (const item of iterable) {
      if (ctx.signal?.aborted) throw abortError(ctx.signal, ctx.type);
      yield this.#validateResults ? await validate(result, item, ctx.type, 'stream item') : item;
    }
  }
}

const STRATEGY = Symbol('publishStrategy');

// The helpers below keep the options and the rarer paths out of #run: its closures would make V8 keep its
// locals on the heap, and its size would keep it from being inlined, on every dispatch.
function applyOptions(ctx: DispatchContext, options: DispatchOptions): void {
  if (ctx.kind === 'query' && options.after !== undefined) {
    ctx.after = options.after;
    ctx.allowStale = options.allowStale === true;
  }
  if (ctx.kind === 'event' && (options as PublishOptions).strategy !== undefined) {
    ctx.items.set(STRATEGY, (options as PublishOptions).strategy);
  }
}

// The signal a dispatch listens to: its parent's, unless its options bring a signal or a deadline of their own.
function signalOf(
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

function runIn(
  storage: ContextStorage,
  ctx: DispatchContext,
  pipeline: (ctx: DispatchContext) => Promise<unknown>,
): Promise<unknown> {
  return storage.run(ctx, () => pipeline(ctx));
}

function executed(settled: Promise<unknown>, ctx: DispatchContext): Promise<Executed<unknown>> {
  return settled.then((result) => ({ result, position: ctx.position, envelope: ctx.envelope, replayed: ctx.replayed }));
}

enum Mode {
  Plain,
  Stream,
  Execute,
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
