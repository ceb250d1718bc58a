import { awaitReads } from '../consistency/read-your-writes.js';
import { InvalidArgumentError, TwofoldError } from '../errors/errors.js';
import type {
  CommandDefinition,
  EventDefinition,
  MessageDefinition,
  MessageKind,
  QueryDefinition,
} from '../messages/define.js';
import { validate } from '../messages/schema.js';
import { assertDefinition, assertHandler } from './argument-checks.js';
import type { DispatchContext } from './context.js';
import { deliver, type EventSubscriber, type PublishStrategy } from './event-delivery.js';
import type { CommandHandler, EventHandler, QueryHandler } from './handlers.js';
import type { MediatorSettings, QueryOptions } from './mediator-options.js';
import { call, compose, type Middleware } from './pipeline.js';
import { parseScope, type ScopeFilter, scopeMatches } from './scope.js';
import { guardStream } from './streaming.js';

/** Where a dispatch of one message type goes: its terminal (the handler, or the event's subscribers). */
export interface Route {
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

/** The key under which `publish(..., { strategy })` leaves its strategy in the context's items. */
export const STRATEGY = Symbol('publishStrategy');

/** The key under which `admit` leaves, in the context's items, what runs instead of the command's handler. */
export const ADMISSION = Symbol('admission');

type Terminal = (ctx: DispatchContext) => Promise<unknown>;

// An admission's terminal is the one its caller left in the context.
const admitted: Terminal = (ctx) => (ctx.items.get(ADMISSION) as Terminal)(ctx);

/**
 * What a mediator knows of the application: one route per command and query type, the subscribers of each event
 * type, and the middlewares. Registration fills it and checks every argument; a dispatch looks its route up.
 */
export class Routes {
  readonly #commands = new Map<string, Route>();
  readonly #queries = new Map<string, Route>();
  readonly #events = new Map<string, EventRoute>();
  readonly #reads = new Map<string, readonly string[]>();
  readonly #middlewares: MiddlewareEntry[] = [];
  readonly #admissions = new Map<string, Terminal>();
  readonly #settings: MediatorSettings;

  constructor(settings: MediatorSettings) {
    this.#settings = settings;
  }

  addCommand(definition: CommandDefinition, handler: CommandHandler<CommandDefinition>): void {
    assertDefinition(definition, 'command', 'command()');
    assertHandler(handler, `command('${definition.type}')`);
    const validateResults = this.#settings.validateResults;
    this.#add(this.#commands, definition, (ctx) => {
      const result = call(handler as CommandHandler, ctx.data, ctx as never);
      return validateResults && definition.result !== undefined
        ? result.then((value) => validate(definition.result!, value, definition.type, 'result'))
        : result;
    });
  }

  addQuery(definition: QueryDefinition, handler: QueryHandler<QueryDefinition>, options?: QueryOptions): void {
    assertDefinition(definition, 'query', 'query()');
    assertHandler(handler, `query('${definition.type}')`);
    const reads = options?.reads ?? [];
    if (!Array.isArray(reads) || reads.some((r) => typeof r?.name !== 'string' || typeof r.waitFor !== 'function')) {
      throw new InvalidArgumentError(
        `query('${definition.type}'): options.reads must be an array of read models, each with a name and waitFor()`,
      );
    }
    const { validateResults, consistencyTimeout } = this.#settings;
    const handle = handler as (params: unknown, ctx: unknown) => unknown;
    const answer = definition.streaming
      ? (ctx: DispatchContext) => Promise.resolve(guardStream(ctx, handle, validateResults))
      : (ctx: DispatchContext) => {
          const result = call(handle, ctx.data, ctx);
          return validateResults
            ? result.then((value) => validate(definition.result, value, definition.type, 'result'))
            : result;
        };
    // The wait comes after the middleware, so that a refused caller never waits, and before the handler.
    const terminal =
      reads.length === 0
        ? answer
        : (ctx: DispatchContext) =>
            ctx.after === undefined ? answer(ctx) : awaitReads(reads, ctx, consistencyTimeout).then(() => answer(ctx));
    this.#add(this.#queries, definition, terminal);
    this.#reads.set(
      definition.type,
      reads.map((read) => read.name),
    );
  }

  subscribe(definition: EventDefinition, handler: EventHandler<EventDefinition>, name: string | undefined): void {
    assertDefinition(definition, 'event', 'on()');
    assertHandler(handler, `on('${definition.type}')`);
    const route = this.#eventRoute(definition);
    if (route.definition !== definition && route.definition.schema !== definition.schema) {
      throw new InvalidArgumentError(`on('${definition.type}'): another event definition with this type is registered`);
    }
    route.subscribers.push({
      name: name ?? (handler.name || `${definition.type} handler #${route.subscribers.length + 1}`),
      handler: handler as EventHandler,
    });
  }

  /** `use(middleware)` or `use(scope, middleware)`; see `Mediator.use`. */
  use(scopeOrMiddleware: unknown, maybeMiddleware: unknown): void {
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
    this.#admissions.clear();
  }

  /** The names of the read models a query waits for; undefined for a query with no handler. */
  readModels(query: QueryDefinition): readonly string[] | undefined {
    return this.#reads.get(query?.type);
  }

  definitions(): {
    readonly commands: readonly CommandDefinition[];
    readonly queries: readonly QueryDefinition[];
    readonly events: readonly EventDefinition[];
  } {
    const of = <T>(routes: Map<string, Route>) => [...routes.values()].map((r) => r.definition as T);
    return { commands: of(this.#commands), queries: of(this.#queries), events: of(this.#events) };
  }

  /** True when publishing `event` would reach a handler of its type or a middleware whose scope takes it. */
  listens(event: EventDefinition): boolean {
    return (
      (this.#events.get(event.type)?.subscribers.length ?? 0) > 0 ||
      this.#middlewares.some((entry) => scopeMatches(entry, event))
    );
  }

  /** The route of a message; an event always has one, with no subscribers until some register. */
  route(kind: MessageKind, definition: MessageDefinition): Route | undefined {
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

  /** Composes the route's pipeline: its terminal inside the middlewares whose scope takes it. */
  compose(route: Route): (ctx: DispatchContext) => Promise<unknown> {
    const chain = this.#middlewares.filter((entry) => scopeMatches(entry, route.definition)).map((e) => e.middleware);
    route.pipeline = compose(chain, route.terminal);
    return route.pipeline;
  }

  /**
   * A command route's middlewares around the terminal its caller leaves under {@link ADMISSION}: what `admit` runs,
   * composed on first use.
   */
  admission(route: Route): Terminal {
    let pipeline = this.#admissions.get(route.definition.type);
    if (pipeline === undefined) {
      const chain = this.#middlewares.filter((e) => scopeMatches(e, route.definition)).map((e) => e.middleware);
      pipeline = compose(chain, admitted);
      this.#admissions.set(route.definition.type, pipeline);
    }
    return pipeline;
  }

  #add(routes: Map<string, Route>, definition: MessageDefinition, terminal: Route['terminal']): void {
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
      const { publishStrategy, onEventHandlerError } = this.#settings;
      route = {
        kind: 'event',
        definition,
        subscribers,
        terminal: (ctx) =>
          deliver(subscribers, ctx, {
            strategy: (ctx.items.get(STRATEGY) as PublishStrategy | undefined) ?? publishStrategy,
            onFailure: onEventHandlerError,
          }),
        pipeline: undefined,
      };
      this.#events.set(definition.type, route);
    }
    return route;
  }
}
