import type {
  CommandDefinition,
  EventDefinition,
  InputOf,
  MessageDefinition,
  MessageKind,
  PayloadOf,
  QueryDefinition,
  ResultOf,
} from '../messages/define.js';
import { DispatchEnvelope, type Envelope, type EnvelopeOptions, type Principal } from '../messages/envelope.js';
import type { GlobalPosition } from '../positions/position.js';
import type { Logger } from '../runtime/logger.js';
import { DispatchSignal } from './cancellation.js';

/** Options of `send`, `ask`, `stream` and `publish`: envelope fields plus cancellation. */
export interface DispatchOptions extends EnvelopeOptions {
  /** Aborting it rejects the dispatch with CANCELLED; handlers see it as `ctx.signal`. */
  readonly signal?: AbortSignal;
  /** Absolute deadline, in milliseconds since the epoch; past it the dispatch rejects with DEADLINE_EXCEEDED. */
  readonly deadline?: number;
  /** Relative deadline in milliseconds from now; the earlier of `deadline` and `timeout` wins. */
  readonly timeout?: number;
  /**
   * Queries only: read your own writes. Before the handler runs, wait until every read model the query declares
   * (`reads`) has applied events up to this position, e.g. the `position` that `execute` returned (undefined
   * when the command wrote nothing: then there is nothing to wait for).
   */
  readonly after?: GlobalPosition | undefined;
  /** With `after`: when the read models do not catch up in time, answer from them anyway instead of failing. */
  readonly allowStale?: boolean;
}

/** What `publish` resolves to: how many handlers ran and which of them failed. */
export interface PublishReport {
  /** How many handlers the event reached. */
  readonly handlers: number;
  /** The handlers that threw, each with its error. */
  readonly failures: readonly EventHandlerFailure[];
}

/** One event handler that threw; also passed to the mediator's `onEventHandlerError`. */
export interface EventHandlerFailure {
  /** The name of the handler that threw. */
  readonly handler: string;
  /** What it threw. */
  readonly error: unknown;
  /** The event it was handling. */
  readonly envelope: Envelope;
}

/** Read capabilities: what every handler may do. */
export interface ReadCapabilities {
  /** Asks a query; the new message shares this one's correlation id and is caused by it. */
  ask<D extends QueryDefinition<string, any, any, false>>(
    query: D,
    params: InputOf<D>,
    options?: DispatchOptions,
  ): Promise<ResultOf<D>>;
  /** Reads a streaming query; see {@link ReadCapabilities.ask}. */
  stream<D extends QueryDefinition<string, any, any, true>>(
    query: D,
    params: InputOf<D>,
    options?: DispatchOptions,
  ): AsyncIterable<ResultOf<D>>;
}

/** Write capabilities: what command and event handlers may do, and query handlers may not. */
export interface WriteCapabilities {
  /** Sends a command; the new message shares this one's correlation id and is caused by it. */
  send<D extends CommandDefinition<string, any, any>>(
    command: D,
    data: InputOf<D>,
    options?: DispatchOptions,
  ): Promise<ResultOf<D>>;
  /** Publishes an event to every handler; see {@link WriteCapabilities.send}. */
  publish<D extends EventDefinition>(event: D, data: InputOf<D>, options?: DispatchOptions): Promise<PublishReport>;
  /**
   * Records that this handler committed events up to `position`, so that `execute` reports it as the
   * read-your-writes token. Twofold's write models call it for you; call it from a hand-written handler
   * that appends to an event store itself.
   */
  advance(position: GlobalPosition): void;
}

/** What every handler and middleware context has: the envelope, who sent it, cancellation and a logger. */
export interface ContextBase<D extends MessageDefinition> {
  /** The message being handled, with its ids, principal and tenant. */
  readonly envelope: Envelope<D['type'], PayloadOf<D>>;
  /** Who sent the message: the envelope's principal. */
  readonly principal: Principal | undefined;
  /** The tenant it runs for: the envelope's tenant. */
  readonly tenant: string | undefined;
  /** Fires when the caller cancels or the deadline passes; pass it on to I/O. */
  readonly signal: AbortSignal | undefined;
  /** The mediator's logger. */
  readonly logger: Logger;
}

/** What a query handler receives: it can read, and has no way to write. */
export interface QueryHandlerContext<D extends QueryDefinition = QueryDefinition>
  extends ContextBase<D>,
    ReadCapabilities {}

/** What a command handler receives. */
export interface CommandHandlerContext<D extends CommandDefinition = CommandDefinition>
  extends ContextBase<D>,
    ReadCapabilities,
    WriteCapabilities {}

/** What an event handler receives: it may send further commands and publish events. */
export interface EventHandlerContext<D extends EventDefinition = EventDefinition>
  extends ContextBase<D>,
    ReadCapabilities,
    WriteCapabilities {}

/** The context a middleware sees for one dispatch. `kind` tells commands, queries and events apart. */
export interface MiddlewareContext<K extends MessageKind, D extends MessageDefinition> extends ContextBase<D> {
  /** `'command'`, `'query'` or `'event'`. */
  readonly kind: K;
  /** The message type, e.g. `'hotel.BookRoom'`. */
  readonly type: D['type'];
  /** The definition the message was registered with: its schema, tags and description. */
  readonly definition: D;
  /** The validated payload. */
  readonly data: PayloadOf<D>;
  /** The definition's tags, which middleware scopes match. */
  readonly tags: readonly string[];
  /** A per-dispatch bag for middlewares to pass values along the pipeline. */
  readonly items: Map<unknown, unknown>;
}

/** What a middleware scoped to commands receives; `D` narrows it to one command. */
export type CommandMiddlewareContext<D extends CommandDefinition = CommandDefinition> = MiddlewareContext<'command', D>;
/** What a middleware scoped to queries receives; `D` narrows it to one query. */
export type QueryMiddlewareContext<D extends QueryDefinition = QueryDefinition> = MiddlewareContext<'query', D>;
/** What a middleware scoped to events receives; `D` narrows it to one event. */
export type EventMiddlewareContext<D extends EventDefinition = EventDefinition> = MiddlewareContext<'event', D>;
/** The context of a middleware that runs for every kind; narrow it with `ctx.kind`. */
export type AnyMiddlewareContext = CommandMiddlewareContext | QueryMiddlewareContext | EventMiddlewareContext;

/**
 * One command's execution, as `execute` resolves to it: the handler's result, plus what a transport needs to report
 * about it.
 */
export interface CommandExecution<R> {
  readonly result: R;
  /** The global position of the last event the command (and what it caused) committed, if any. */
  readonly position: GlobalPosition | undefined;
  readonly envelope: Envelope;
  /**
   * True when the command did not run because an earlier one with the same idempotency key had: `result` and
   * `position` are the ones stored with that command. Set by Twofold's write models.
   */
  readonly replayed: boolean;
}

/** The internal side of the mediator that contexts call back into. */
export interface Dispatcher {
  readonly logger: Logger;
  dispatch(
    kind: MessageKind,
    definition: MessageDefinition,
    data: unknown,
    options: DispatchOptions | undefined,
    parent: DispatchContext | undefined,
  ): Promise<unknown>;
  streamFrom(
    definition: MessageDefinition,
    data: unknown,
    options: DispatchOptions | undefined,
    parent: DispatchContext | undefined,
  ): AsyncIterable<unknown>;
  /** True when publishing `event` would reach a handler of its type or a middleware whose scope takes it. */
  listens(event: EventDefinition): boolean;
}

/**
 * One dispatch in flight. It is both the middleware context and the handler context, so a dispatch
 * allocates one object. A query's context has no write capability: its `send` and `publish` are undefined.
 */
export class DispatchContext {
  readonly definition: MessageDefinition;
  /** Absolute deadline inherited by nested dispatches. */
  readonly deadline: number | undefined;
  /** The highest global position committed by this dispatch or any dispatch it caused; see {@link advance}. */
  position: GlobalPosition | undefined;
  /** True when a write model answered this command with a stored result instead of running it; see {@link CommandExecution}. */
  replayed: boolean;
  readonly parent: DispatchContext | undefined;
  /** Queries: the position the caller wants to read its writes from (`options.after`). */
  after: GlobalPosition | undefined;
  /** Queries: answer stale rather than fail when the read models do not reach `after` in time. */
  allowStale: boolean;
  protected readonly dispatcher: Dispatcher;
  #items: Map<unknown, unknown> | undefined;
  readonly #data: unknown;
  #envelope: DispatchEnvelope | undefined;
  readonly #signal: AbortSignal | DispatchSignal | undefined;

  /** Without an `envelope`, one is made on first read: see {@link DispatchContext.envelope}. */
  constructor(
    dispatcher: Dispatcher,
    definition: MessageDefinition,
    data: unknown,
    envelope: DispatchEnvelope | undefined,
    signal: AbortSignal | DispatchSignal | undefined,
    deadline: number | undefined,
    parent: DispatchContext | undefined,
  ) {
    this.dispatcher = dispatcher;
    this.parent = parent;
    this.position = undefined;
    this.replayed = false;
    this.after = undefined;
    this.allowStale = false;
    this.definition = definition;
    this.#data = data;
    this.#envelope = envelope;
    this.#signal = signal;
    this.deadline = deadline;
    this.#items = undefined;
  }

  get kind(): MessageKind {
    return this.definition.kind;
  }
  get type(): string {
    return this.definition.type;
  }
  get tags(): readonly string[] {
    return this.definition.tags;
  }
  get data(): unknown {
    return this.#data;
  }
  /** Fires when the caller cancels or the deadline passes. A dispatch's own signal is made when first read. */
  get signal(): AbortSignal | undefined {
    const signal = this.#signal;
    return signal instanceof DispatchSignal ? signal.signal : signal;
  }
  /**
   * The message being handled. A dispatch sent without options gets its envelope on first read: it derives from
   * the definition, the data and the parent's envelope alone, so it is the same whenever it is made, and the many
   * handlers that never read it save an allocation.
   */
  get envelope(): DispatchEnvelope {
    this.#envelope ??= new DispatchEnvelope(this.kind, this.type, this.#data, undefined, this.parent?.envelope);
    return this.#envelope;
  }
  get principal(): Principal | undefined {
    return this.envelope.principal;
  }
  get tenant(): string | undefined {
    return this.envelope.tenant;
  }
  get logger(): Logger {
    return this.dispatcher.logger;
  }
  get items(): Map<unknown, unknown> {
    if (this.#items === undefined) this.#items = new Map();
    return this.#items;
  }

  /**
   * Records that this dispatch committed events up to `position`. Write models call it after each commit;
   * the position also reaches every dispatch up the causation chain, so the outermost `execute` reports it.
   */
  advance(position: GlobalPosition): void {
    for (let ctx: DispatchContext | undefined = this; ctx !== undefined; ctx = ctx.parent) {
      if (ctx.position === undefined || position > ctx.position) ctx.position = position;
    }
  }

  // Bound on first read so that handlers may destructure `{ ask, send }` while a dispatch that never
  // uses them allocates no closures.
  get ask(): (query: MessageDefinition, params: unknown, options?: DispatchOptions) => Promise<unknown> {
    return (query, params, options) => this.dispatcher.dispatch('query', query, params, options, this);
  }

  get stream(): (query: MessageDefinition, params: unknown, options?: DispatchOptions) => AsyncIterable<unknown> {
    return (query, params, options) => this.dispatcher.streamFrom(query, params, options, this);
  }

  // Write capabilities, undefined for queries. One class for every kind rather than a subclass for writers:
  // on Node 20, constructing an instance of a subclass costs some 15 ns more per dispatch.
  get send(): ((command: MessageDefinition, data: unknown, options?: DispatchOptions) => Promise<unknown>) | undefined {
    if (this.definition.kind === 'query') return undefined;
    return (command, data, options) => this.dispatcher.dispatch('command', command, data, options, this);
  }

  /**
   * True when publishing `event` from here would reach anyone: a handler of its type, or a middleware whose scope
   * takes it. Write models ask before they publish what they committed, so that nobody listening costs nothing.
   */
  listens(event: EventDefinition): boolean {
    return this.dispatcher.listens(event);
  }

  get publish():
    | ((event: MessageDefinition, data: unknown, options?: DispatchOptions) => Promise<unknown>)
    | undefined {
    if (this.definition.kind === 'query') return undefined;
    return (event, data, options) => this.dispatcher.dispatch('event', event, data, options, this);
  }
}
