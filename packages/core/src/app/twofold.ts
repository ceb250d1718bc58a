import { type EnqueueOptions, enqueueCommand } from '../command-queue/enqueue.js';
import type { CommandQueueStore } from '../command-queue/ports.js';
import type { QueuedCommand } from '../command-queue/records.js';
import { CommandWorker, type CommandWorkerOptions } from '../command-queue/worker.js';
import type { Database } from '../database/database.js';
import { InvalidArgumentError } from '../errors/errors.js';
import type { AnyMiddlewareContext, CommandExecution, DispatchOptions } from '../mediator/context.js';
import type { CommandHandler, ContextFor, ContextOfKind, PipelineResult } from '../mediator/handlers.js';
import { createMediator, type Mediator, type MediatorOptions } from '../mediator/mediator.js';
import type { Middleware } from '../mediator/pipeline.js';
import type { MiddlewareScope } from '../mediator/scope.js';
import type {
  CommandDefinition,
  EventDefinition,
  InputOf,
  MessageDefinition,
  MessageKind,
  QueryDefinition,
  ResultOf,
} from '../messages/define.js';
import type { ProcessStore } from '../process-managers/ports.js';
import type { ProcessManager } from '../process-managers/process-manager.js';
import { ProcessManagerRunner, type ProcessManagerRunnerOptions } from '../process-managers/runner.js';
import type { DocumentTx } from '../projections/documents.js';
import type { Projection } from '../projections/projection.js';
import type { Decider, StateModel } from '../write-model/models.js';
import { type WriteModels, writeModels } from '../write-model/write-models.js';
import { AppLifecycle } from './lifecycle.js';
import { AppProjections, type ProjectionOptions } from './projections.js';
import { type AppQueryHandler, type AppQueryOptions, lazyProgress, readNames, withReads } from './query-reads.js';
import { type DeciderOptions, registrable, type StateModelOptions } from './write-side.js';

/** Options of {@link twofold}: the database handle, and the mediator's own options (logger, timeouts…). */
export interface TwofoldOptions<WriteTx, InlineTx> extends MediatorOptions {
  /** The database: `memory()`, `sqlite(path)` from @twofold/sqlite, `await postgres(…)` from @twofold/postgres. */
  readonly store: Database<WriteTx, InlineTx>;
}

/** A query whose handler returns one answer (not a stream): what a {@link Twofold} app registers. */
export type AnswerQuery = QueryDefinition<string, any, any, false>;

/**
 * An application: one database handle, its write models, projections and queries, and middleware, started and
 * closed as one. Made by {@link twofold}. `send`, `execute` and `ask` accept only what was registered, typed by
 * each message's schemas. `InlineTx` is what the handle's inline projections get (`InlineDocumentTx` on memory
 * and SQLite, `DocumentTx` on PostgreSQL); every other projection gets a `DocumentTx`. The mediator underneath stays reachable as `mediator`, for transports (HTTP) and for
 * what this builder does not cover.
 */
export class Twofold<WriteTx, InlineTx, C extends CommandDefinition = never, Q extends AnswerQuery = never> {
  /** The mediator every command and query goes through. */
  readonly mediator: Mediator;
  /** The database handle the app writes to and reads from; closed by {@link Twofold.close}. */
  readonly store: Database<WriteTx, InlineTx>;
  readonly #models: WriteModels;
  readonly #projections: AppProjections<WriteTx, InlineTx>;
  readonly #lifecycle: AppLifecycle;
  readonly #queryReads: { readonly type: string; readonly names: readonly string[] }[] = [];
  readonly #workers: CommandWorker[] = [];
  readonly #processManagers: ProcessManagerRunner[] = [];

  constructor(options: TwofoldOptions<WriteTx, InlineTx>) {
    const { store, ...mediatorOptions } = options ?? ({} as never);
    checkDatabase(store);
    this.store = store;
    this.mediator = createMediator(mediatorOptions);
    this.#projections = new AppProjections(store, this.mediator.logger);
    this.#models = writeModels({ store: store.events, participants: [this.#projections.participant] });
    this.#lifecycle = new AppLifecycle(this.mediator);
  }

  /**
   * Registers an event-sourced write model for every command it declares: each command loads its stream, folds
   * it, decides, and appends. Give `result` when its commands declare a result.
   *
   * @example
   * app.decider(account, { stream: ({ data }) => streamId('account', data.accountId) });
   */
  decider<S, DC extends CommandDefinition, E extends EventDefinition>(
    decider: Decider<S, DC, E>,
    options: DeciderOptions<S, DC, E>,
  ): Twofold<WriteTx, InlineTx, C | DC, Q> {
    return this.#writeModel('decider', decider, options, () => this.#models.eventSourced(decider, options as never));
  }

  /**
   * Registers a state-stored write model for every command it declares: each command loads the aggregate's state,
   * decides, and saves the new state with the events it raised.
   *
   * @example
   * app.stateStored(customers, { id: ({ data }) => data.customerId });
   */
  stateStored<S, SC extends CommandDefinition, E extends EventDefinition>(
    model: StateModel<S, SC, E>,
    options: StateModelOptions<S, SC, E>,
  ): Twofold<WriteTx, InlineTx, C | SC, Q> {
    return this.#writeModel('stateStored', model, options, () => this.#models.stateStored(model, options as never));
  }

  /** Registers a hand-written handler for one command, for what no write model covers. */
  command<D extends CommandDefinition>(
    definition: D,
    handler: CommandHandler<D>,
  ): Twofold<WriteTx, InlineTx, C | D, Q> {
    this.#lifecycle.registering('command');
    this.mediator.command(definition, handler);
    return this as never;
  }

  /**
   * Registers a projection into the database's documents. By default a runner applies it beside the app from
   * `start()` to `close()`, and its handlers get a `DocumentTx`. `{ inline: true }` applies it in each command's
   * own transaction instead, and its handlers get what the handle's inline store hands them: an
   * `InlineDocumentTx` on memory and SQLite, whose write transactions are synchronous; a `DocumentTx` on PostgreSQL.
   *
   * @example
   * app.projection(statement).projection(balances, { inline: true });
   */
  projection(projection: Projection<DocumentTx>, options?: ProjectionOptions & { readonly inline?: false }): this;
  projection(projection: Projection<InlineTx>, options: ProjectionOptions & { readonly inline: true }): this;
  projection(projection: Projection<never>, options?: ProjectionOptions): this {
    this.#lifecycle.registering('projection');
    this.#projections.add(projection as Projection<unknown>, options);
    return this;
  }

  /**
   * Registers a query, with the projections it reads. Its handler reads them with `read(projection)`; asked with
   * `{ after: position }`, it first waits until each of them has passed that position.
   *
   * @example
   * app.query(Balance, ({ accountId }, { read }) => read(balances).collection<Balance>('balances').get(accountId),
   *   { reads: [balances] });
   */
  query<D extends AnswerQuery>(
    definition: D,
    handler: AppQueryHandler<D, InlineTx>,
    options?: AppQueryOptions<InlineTx>,
  ): Twofold<WriteTx, InlineTx, C, Q | D> {
    this.#lifecycle.registering('query');
    const type = String(definition?.type);
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(`query('${type}'): the handler must be a function`);
    }
    const names = readNames(type, options?.reads);
    this.mediator.query(definition, withReads(type, names, this.#projections, handler) as never, {
      reads: lazyProgress(names, this.#projections),
    });
    this.#queryReads.push({ type, names });
    return this as never;
  }

  /** Adds a middleware, as `Mediator.use` does: for every message, or scoped to a kind, a tag or one message. */
  use(middleware: Middleware<AnyMiddlewareContext>): this;
  use<D extends MessageDefinition>(definition: D, middleware: Middleware<ContextFor<D>, PipelineResult<D>>): this;
  use<K extends MessageKind | undefined = undefined>(
    scope: MiddlewareScope<K>,
    middleware: Middleware<ContextOfKind<K>>,
  ): this;
  use(scopeOrMiddleware: unknown, middleware?: unknown): this {
    this.#lifecycle.registering('use');
    (this.mediator.use as (a: unknown, b?: unknown) => Mediator)(
      ...((middleware === undefined ? [scopeOrMiddleware] : [scopeOrMiddleware, middleware]) as [unknown]),
    );
    return this;
  }

  /**
   * Starts the app: brings the inline projections up to the end of the log, then starts the runners of the
   * others. Commands and queries are refused (UNAVAILABLE) until it resolves. It runs once.
   */
  async start(): Promise<this> {
    await this.#lifecycle.start(async () => {
      for (const { type, names } of this.#queryReads) {
        for (const name of names) this.#projections.get(name, `query('${type}')`);
      }
      await this.#projections.start();
    });
    for (const runner of this.#processManagers) runner.start();
    for (const worker of this.#workers) worker.start();
    return this;
  }

  /** Sends a command registered with this app, and resolves to its result. */
  send<D extends C>(command: D, data: InputOf<D>, options?: DispatchOptions): Promise<ResultOf<D>> {
    return this.mediator.send(command, data, options);
  }

  /** Sends a command like `send`, and resolves to its result with the position to read it back `after`. */
  execute<D extends C>(
    command: D,
    data: InputOf<D>,
    options?: DispatchOptions,
  ): Promise<CommandExecution<ResultOf<D>>> {
    return this.mediator.execute(command, data, options);
  }

  /** Asks a query registered with this app; with `{ after: position }`, it reads your writes. */
  ask<D extends Q>(query: D, params: InputOf<D>, options?: DispatchOptions): Promise<ResultOf<D>> {
    return this.mediator.ask(query, params, options);
  }

  /**
   * Validates and authorizes a command at once, as `send` does, and stores it in the database's command queue, to
   * be run later by a worker ({@link Twofold.worker}) through the same middleware and write model. Resolves to the
   * queued command: its `id` reads its status back.
   *
   * @example
   * const { id } = await app.enqueue(SendInvoice, { bookingId }, { key: bookingId, runAt: tomorrow });
   * const { status, position } = (await app.commandStatus(id))!;
   */
  enqueue<D extends C>(command: D, data: InputOf<D>, options?: EnqueueOptions): Promise<QueuedCommand> {
    try {
      return enqueueCommand(this.mediator, this.#queue('enqueue'), command, data, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A queued command with its status (`queued`, `running`, `succeeded`…), or undefined for an unknown id. */
  commandStatus(id: string): Promise<QueuedCommand | undefined> {
    return this.#queue('commandStatus').get(id);
  }

  /** Cancels a queued command that has not run (or waits for a retry); false when it had started or ended. */
  cancelCommand(id: string): Promise<boolean> {
    return this.#queue('cancelCommand').cancel(id, Date.now());
  }

  /**
   * Adds a worker that runs this app's queued commands from `start()` to `close()`, in this process. Run the same
   * app in other processes with a worker each to share the queue among them.
   *
   * @example
   * twofold({ store: sqlite('data/hotel.db') }).decider(booking, options).worker({ concurrency: 8 });
   */
  worker(options: Omit<CommandWorkerOptions, 'store' | 'mediator'> = {}): this {
    this.#lifecycle.registering('worker');
    const worker = new CommandWorker({ ...options, store: this.#queue('worker'), mediator: this.mediator });
    this.#workers.push(worker);
    this.#lifecycle.onClose(() => worker.stop());
    return this;
  }

  /**
   * Registers a process manager: from `start()` to `close()` it handles the events it lists and fires its timers,
   * and the commands it sends go into the command queue, for a worker ({@link Twofold.worker}) to run. Options are
   * those of {@link ProcessManagerRunner}, but for what the app gives it.
   *
   * @example
   * twofold({ store: sqlite('data/hotel.db') }).decider(holds, options).processManager(checkout).worker();
   */
  processManager(
    manager: ProcessManager<any, any, any, any>,
    options: Omit<ProcessManagerRunnerOptions, 'processManager' | 'feed' | 'store' | 'deadLetters'> = {},
  ): this {
    this.#lifecycle.registering('processManager');
    this.#queue('processManager');
    const name = String(manager?.name);
    if (this.#processManagers.some((runner) => runner.name === name)) {
      throw new InvalidArgumentError(`processManager('${name}'): a process manager of that name is registered`);
    }
    const runner = new ProcessManagerRunner({
      ...options,
      processManager: manager,
      feed: this.store.events,
      store: this.#processStore(),
      deadLetters: this.store.deadLetters,
    });
    this.#processManagers.push(runner);
    this.#lifecycle.onClose(() => runner.stop());
    return this;
  }

  /**
   * Registers something to close first when the app closes: what takes requests for it, such as an HTTP server,
   * so that nothing new comes in while the rest stops. The last registered closes first.
   */
  onClose(close: () => Promise<void> | void): this {
    this.#lifecycle.onClose(close);
    return this;
  }

  /**
   * Closes the app, in order: what was registered with `onClose` (stop accepting, finish the requests in
   * flight), then the commands and queries still running, then the projection runners, then the database.
   * Commands and queries sent after that are refused (UNAVAILABLE). Calling it again returns the same promise.
   */
  close(): Promise<void> {
    return this.#lifecycle.close(
      () => this.#projections.stop(),
      () => this.store.close(),
    );
  }

  #queue(method: string): CommandQueueStore {
    const queue = this.store.commands;
    if (queue === undefined) {
      throw new InvalidArgumentError(`${method}(): this app's database has no command queue`);
    }
    return queue;
  }

  #processStore(): ProcessStore {
    const store = this.store.processes;
    if (store === undefined) {
      throw new InvalidArgumentError("processManager(): this app's database has no store for process managers");
    }
    return store;
  }

  /** Registers every command of a write model with the handler `handlerOf` makes, once sure all of them can be. */
  #writeModel(
    fn: 'decider' | 'stateStored',
    model: { readonly name: string; readonly commands: readonly CommandDefinition[] },
    options: { readonly result?: unknown },
    handlerOf: () => unknown,
  ): never {
    this.#lifecycle.registering(fn);
    const handler = handlerOf() as CommandHandler;
    for (const definition of registrable(this.mediator, fn, model, options)) this.mediator.command(definition, handler);
    return this as never;
  }
}

/**
 * Starts building an application on one database handle: register write models, projections, queries and
 * middleware, then `start()` it, serve it (`serve(app)` from @twofold/http), and `close()` it.
 *
 * @example
 * const app = twofold({ store: memory() })
 *   .decider(account, { stream: ({ data }) => streamId('account', data.accountId) })
 *   .projection(balances)
 *   .query(Balance, async ({ accountId }, { read }) => (await read(balances).collection('balances').get(accountId)) ?? null,
 *     { reads: [balances] });
 * await app.start();
 * const { position } = await app.execute(Deposit, { accountId: 'a1', amount: 10 });
 * await app.ask(Balance, { accountId: 'a1' }, { after: position });
 */
export function twofold<WriteTx, InlineTx>(options: TwofoldOptions<WriteTx, InlineTx>): Twofold<WriteTx, InlineTx> {
  return new Twofold(options);
}

function checkDatabase(store: unknown): asserts store is Database {
  const db = store as Partial<Database> | undefined;
  const missing = [
    ...(['events', 'documents', 'checkpoints', 'deadLetters'] as const).filter(
      (key) => typeof db?.[key] !== 'object' || db[key] === null,
    ),
    ...(typeof db?.close === 'function' ? [] : ['close()']),
  ];
  if (typeof db !== 'object' || db === null || missing.length > 0) {
    throw new InvalidArgumentError(
      `twofold(): options.store must be a database handle (memory(), sqlite(path), await postgres(…))${
        typeof db === 'object' && db !== null && missing.length > 0 ? `; it has no ${missing.join(', ')}` : ''
      }`,
    );
  }
}
