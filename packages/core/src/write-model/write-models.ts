import { InvalidArgumentError } from '../errors/errors.js';
import type { UnitOfWork, WriteStore } from '../event-store/ports.js';
import type { CommandHandlerContext } from '../mediator/context.js';
import type { CommandDefinition, EventDefinition, PayloadOf } from '../messages/define.js';
import { CommitLoop } from './commit-loop.js';
import { type EventSourcedOptions, eventSourcedHandler } from './event-sourced.js';
import { IdempotencyPruner } from './idempotency-pruner.js';
import type { Decider, ResultFrom, StateModel, WithResult } from './models.js';
import { StateCache } from './state-cache.js';
import { type StateStoredOptions, stateStoredHandler } from './state-stored.js';

export type { EventSourcedOptions } from './event-sourced.js';
export type { ResultFrom } from './models.js';
export type { StateStoredOptions } from './state-stored.js';

/** Options of {@link writeModels}. */
export interface WriteModelsOptions<Tx = unknown> {
  readonly store: WriteStore<Tx>;
  /** Retries after a CONCURRENCY_CONFLICT before giving up (reload, decide again, commit again). Default: 3. */
  readonly retries?: number;
  /** First backoff between retries, doubled each time, with jitter. Default: 5 ms. */
  readonly retryDelayMs?: number;
  /** Joins every commit, in its transaction (inline projections, outbox rows). */
  readonly participants?: UnitOfWork<Tx>['participants'];
  /**
   * Keep the state and version of this many recently changed event-sourced streams in memory, so that the next
   * command on one of them reads nothing before it decides. An entry another process has since moved on shows as
   * a concurrency conflict on commit, and is then reloaded and decided again at once (not counted as a retry).
   * States must be treated as values: `evolve` and `decide` return new ones rather than change the one given.
   * `0` turns the cache off. Default: 10,000.
   */
  readonly cacheSize?: number;
  /**
   * How long the result of a command sent with an idempotency key is kept for its repeats, in milliseconds. Older
   * records are deleted in batches, at most once a minute, after a commit. A repeat after that runs as a new
   * command. Default: 24 hours.
   */
  readonly idempotencyRetentionMs?: number;
}

/** A command handler a write model makes: the payload and the command's context in, the result out. */
export type Handler<C extends CommandDefinition, R> = (data: PayloadOf<C>, ctx: CommandHandlerContext) => Promise<R>;

/** Command handlers backed by a write store; see {@link writeModels}. */
export interface WriteModels {
  /**
   * A command handler that loads the stream, folds it, decides, and appends with the expected version. Give
   * `result` when the command declares a result.
   */
  eventSourced<S, C extends CommandDefinition, E extends EventDefinition>(
    decider: Decider<S, C, E>,
    options: EventSourcedOptions<C>,
  ): Handler<C, void>;
  /** As above, for a command that declares a result: `result` computes it from the new state, events and version. */
  eventSourced<S, C extends CommandDefinition, E extends EventDefinition, R>(
    decider: Decider<S, C, E>,
    options: EventSourcedOptions<C> & { readonly result: ResultFrom<S, E, R> },
  ): Handler<C, R>;
  /** A command handler that loads the state row, decides, and saves the new state with its events. */
  stateStored<S, C extends CommandDefinition, E extends EventDefinition>(
    model: StateModel<S, C, E>,
    options: StateStoredOptions<C>,
  ): Handler<C, void>;
  /** As above, for a command that declares a result: `result` computes it from the new state, events and version. */
  stateStored<S, C extends CommandDefinition, E extends EventDefinition, R>(
    model: StateModel<S, C, E>,
    options: StateStoredOptions<C> & { readonly result: ResultFrom<S, E, R> },
  ): Handler<C, R>;
}

/**
 * Turns deciders and state models into command handlers on a write store. Each command commits its events,
 * state and idempotency record in one transaction, retries on a concurrency conflict, returns the stored result
 * for a repeated idempotency key, and reports its position for read-your-writes.
 *
 * @example
 * const models = writeModels({ store: new MemoryStore() });
 * mediator
 *   .command(BookRoom, models.eventSourced(booking, { stream: ({ data }) => streamId('booking', data.bookingId) }))
 *   .command(RegisterGuest, models.stateStored(guests, { id: ({ data }) => data.guestId }));
 */
export function writeModels<Tx>(options: WriteModelsOptions<Tx>): WriteModels {
  const { store } = options;
  if (typeof store?.commit !== 'function' || typeof store.readStream !== 'function') {
    throw new InvalidArgumentError('writeModels(): options.store must be a write store (MemoryStore, SqliteStore…)');
  }
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 5;
  if (!Number.isSafeInteger(retries) || retries < 0)
    throw new InvalidArgumentError('writeModels(): retries must be an integer >= 0');
  if (!(retryDelayMs >= 0)) throw new InvalidArgumentError('writeModels(): retryDelayMs must be >= 0');
  const cacheSize = options.cacheSize ?? 10_000;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0)
    throw new InvalidArgumentError('writeModels(): cacheSize must be an integer >= 0');
  const retentionMs = options.idempotencyRetentionMs ?? 24 * 60 * 60 * 1000;
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 1) {
    throw new InvalidArgumentError('writeModels(): idempotencyRetentionMs must be an integer >= 1 (milliseconds)');
  }
  if (typeof store.pruneIdempotency !== 'function') {
    throw new InvalidArgumentError('writeModels(): options.store has no pruneIdempotency(): update its adapter');
  }
  const parts = {
    store,
    cache: new StateCache(cacheSize),
    loop: new CommitLoop({
      store,
      retries,
      retryDelayMs,
      participants: options.participants ?? [],
      pruner: new IdempotencyPruner(store, retentionMs),
    }),
  };
  const models = {
    eventSourced: (decider: Decider<unknown>, spec: EventSourcedOptions<CommandDefinition> & WithResult) =>
      eventSourcedHandler(parts, decider, spec),
    stateStored: (model: StateModel<unknown>, spec: StateStoredOptions<CommandDefinition> & WithResult) =>
      stateStoredHandler(parts, model, spec),
  };
  return models as WriteModels;
}
