import { IdempotencyKeyReusedError, InvalidArgumentError, isTwofoldError } from '../errors/errors.js';
import type { Committed, IdempotencyRecord, UnitOfWork, WriteStore } from '../event-store/ports.js';
import type { NewEvent, StreamId } from '../event-store/records.js';
import { type CommandHandlerContext, DispatchContext } from '../mediator/context.js';
import type { CommandDefinition, EventDefinition, PayloadOf } from '../messages/define.js';
import { validate } from '../messages/schema.js';
import { KeyedQueue } from '../runtime/keyed-queue.js';
import { sleep } from '../runtime/sleep.js';
import { payloadFingerprint } from './fingerprint.js';
import { IdempotencyPruner } from './idempotency-pruner.js';
import type { Decider, MessageOf, StateModel } from './models.js';
import { StateCache } from './state-cache.js';

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

/** How a command's result is made from its decision. */
export type ResultFrom<S, E extends EventDefinition, R> = (outcome: {
  readonly state: S;
  readonly events: readonly MessageOf<E>[];
  readonly version: number;
}) => R;

/** Options of {@link WriteModels.eventSourced}. */
export interface EventSourcedOptions<C extends CommandDefinition> {
  /** The stream a command writes to, e.g. `({ data }) => streamId('booking', data.bookingId)`. */
  readonly stream: (command: MessageOf<C>) => StreamId;
  /** Save a snapshot every this many events, so that long streams load fast. Default: never. */
  readonly snapshotEvery?: number;
}

/** Options of {@link WriteModels.stateStored}. */
export interface StateStoredOptions<C extends CommandDefinition> {
  /** The aggregate a command changes, e.g. `({ data }) => data.guestId`. */
  readonly id: (command: MessageOf<C>) => string;
  /** Where the states are kept (and the stream category of their events). Default: the model's name. */
  readonly collection?: string;
}

type Handler<C extends CommandDefinition, R> = (data: PayloadOf<C>, ctx: CommandHandlerContext) => Promise<R>;

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
  eventSourced<S, C extends CommandDefinition, E extends EventDefinition, R>(
    decider: Decider<S, C, E>,
    options: EventSourcedOptions<C> & { readonly result: ResultFrom<S, E, R> },
  ): Handler<C, R>;
  /** A command handler that loads the state row, decides, and saves the new state with its events. */
  stateStored<S, C extends CommandDefinition, E extends EventDefinition>(
    model: StateModel<S, C, E>,
    options: StateStoredOptions<C>,
  ): Handler<C, void>;
  stateStored<S, C extends CommandDefinition, E extends EventDefinition, R>(
    model: StateModel<S, C, E>,
    options: StateStoredOptions<C> & { readonly result: ResultFrom<S, E, R> },
  ): Handler<C, R>;
}

interface Attempt<R> {
  readonly unit: UnitOfWork;
  readonly result: R;
  /** True when the attempt decided on a cached state rather than one it loaded. */
  readonly cached?: boolean;
  /** Called once the unit is committed. */
  readonly committed?: (committed: Committed) => Promise<void> | void;
}

interface Outcome<R> {
  readonly result: R;
  /** What was committed; undefined when a stored result was replayed. */
  readonly committed?: Committed;
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
  const pruner = new IdempotencyPruner(store, retentionMs);
  const cache = new StateCache(cacheSize);
  const queue = new KeyedQueue();
  const participants = options.participants ?? [];

  // Runs one command, after the commands before it on the same aggregate in this process: idempotent replay, then
  // attempt → commit, retried on conflict. Its events are published once the next command may run, so that an
  // event handler may send a command to the same aggregate.
  async function handle<R>(
    ctx: CommandHandlerContext,
    events: ReadonlyMap<string, EventDefinition>,
    aggregate: string,
    attempt: (fresh: boolean) => Promise<Attempt<R>>,
  ): Promise<R> {
    // Most commands carry no key: they skip the fingerprint and the await it costs.
    const key = ctx.envelope.idempotencyKey;
    const command = key === undefined ? undefined : await commandOf(ctx, key);
    const { result, committed } = await queue.run(aggregate, (waited) => {
      // A command cancelled or past its deadline while it waited for its turn is not run at all.
      const signal = waited ? ctx.signal : undefined;
      if (signal?.aborted) return Promise.reject(signal.reason);
      return decideAndCommit(ctx, command, attempt);
    });
    if (committed !== undefined) await publishCommitted(committed, ctx, events);
    return result;
  }

  async function decideAndCommit<R>(
    ctx: CommandHandlerContext,
    command: IdempotentCommand | undefined,
    attempt: (fresh: boolean) => Promise<Attempt<R>>,
  ): Promise<Outcome<R>> {
    let fresh = false;
    for (let tries = 0; ; tries++) {
      if (command !== undefined) {
        const previous = await store.find(command.key);
        if (previous !== undefined) return replay(ctx, command, previous);
      }
      const { unit, result, cached, committed: done } = await attempt(fresh);
      try {
        const committed = await store.commit({
          ...unit,
          ...(command === undefined
            ? {}
            : { idempotency: { ...command, result: result === undefined ? null : result } }),
          participants: [...participants, ...((unit.participants ?? []) as typeof participants)],
        } as UnitOfWork<Tx>);
        if (committed.position !== undefined) ctx.advance(committed.position);
        if (command !== undefined) pruner.committed(ctx.logger);
        await done?.(committed);
        return { result, committed };
      } catch (error) {
        if (!isTwofoldError(error, 'CONCURRENCY_CONFLICT')) throw error;
        // A cached state another process had moved on from: reload it and decide again, now.
        if (cached) {
          fresh = true;
          tries--;
          continue;
        }
        if (tries >= retries) throw error;
        const delay = retryDelayMs * 2 ** tries * (0.5 + Math.random());
        if (ctx.signal === undefined) await sleep(delay, new AbortController().signal);
        else await sleep(delay, ctx.signal);
      }
    }
  }

  type AnyResult = { readonly result?: ResultFrom<unknown, EventDefinition, unknown> };
  const models = {
    eventSourced(decider: Decider<unknown>, spec: EventSourcedOptions<CommandDefinition> & AnyResult) {
      checkSpec(decider, spec, 'eventSourced', 'stream');
      const every = spec.snapshotEvery;
      if (every !== undefined && (!Number.isSafeInteger(every) || every < 1)) {
        throw new InvalidArgumentError(`eventSourced('${decider.name}'): snapshotEvery must be an integer >= 1`);
      }
      const commandTypes = typesOf(decider.commands);
      const events = eventsByType(decider.events);
      return (data: unknown, ctx: CommandHandlerContext) => {
        const command = messageFor(ctx, data, commandTypes, decider.name) as Parameters<typeof spec.stream>[0];
        const stream = spec.stream(command);
        const key = `${decider.name}\u0000${stream}`;
        return handle(ctx, events, stream, async (fresh) => {
          const hit = fresh ? undefined : cache.take(key);
          let loaded: ReturnType<typeof decider.initialState>;
          let version: number;
          if (hit !== undefined) {
            loaded = hit.state as typeof loaded;
            version = hit.version;
          } else {
            const snapshot = every === undefined ? undefined : await store.loadSnapshot(stream, decider.name);
            loaded = snapshot === undefined ? decider.initialState() : (snapshot.state as typeof loaded);
            version = snapshot?.version ?? 0;
            for (const event of await store.readStream(stream, { from: version + 1 })) {
              loaded = decider.evolve(loaded, event as never);
              version = event.streamVersion;
            }
          }
          const decided = decider.decide(command, loaded);
          const newEvents = await toNewEvents(decided, events, ctx, decider.name);
          // An evolve that hands back the state it was given may have changed it in place: then the state
          // before the decision is gone, and nothing is cached.
          let final = loaded;
          let changedInPlace = false;
          for (const event of decided) {
            const next = decider.evolve(final, event);
            changedInPlace ||= next === final;
            final = next;
          }
          const newVersion = version + decided.length;
          return {
            unit: { appends: [{ streamId: stream, expectedVersion: version, events: newEvents }] },
            result: spec.result?.({ state: final, events: decided, version: newVersion }) as never,
            cached: hit !== undefined,
            committed: async (committed) => {
              // The cache and the snapshot keep what a reload would fold: the events as stored (their schemas'
              // output, as JSON gives it back), not as decided.
              let stored = final;
              if (!changedInPlace) {
                stored = loaded;
                for (const event of committed.events) stored = decider.evolve(stored, event as never);
                if (decided.length > 0) cache.put(key, { state: stored, version: newVersion });
              }
              if (every === undefined || Math.floor(newVersion / every) === Math.floor(version / every)) return;
              await store
                .saveSnapshot(stream, decider.name, { state: stored, version: newVersion })
                .catch((error: unknown) => {
                  ctx.logger.warn({ err: error, stream }, `Snapshot of ${stream} not saved`);
                });
            },
          };
        });
      };
    },

    stateStored(model: StateModel<unknown>, spec: StateStoredOptions<CommandDefinition> & AnyResult) {
      checkSpec(model, spec, 'stateStored', 'id');
      const collection = spec.collection ?? model.name;
      const commandTypes = typesOf(model.commands);
      const events = eventsByType(model.events);
      return (data: unknown, ctx: CommandHandlerContext) => {
        const command = messageFor(ctx, data, commandTypes, model.name) as Parameters<typeof spec.id>[0];
        const id = spec.id(command);
        if (typeof id !== 'string' || id.length === 0) {
          throw new InvalidArgumentError(`stateStored('${model.name}'): id() must return a non-empty string`);
        }
        return handle(ctx, events, `${collection}-${id}`, async () => {
          const loaded = await store.load(collection, id);
          const state =
            loaded === undefined ? model.initialState() : (loaded.state as ReturnType<typeof model.initialState>);
          const decision = model.decide(command, state);
          const raised = decision.events ?? [];
          const newEvents = await toNewEvents(raised, events, ctx, model.name);
          const version = (loaded?.version ?? 0) + 1;
          return {
            unit: {
              states: [{ collection, id, expectedVersion: loaded?.version ?? 0, state: decision.state }],
              appends:
                newEvents.length === 0
                  ? []
                  : [
                      {
                        streamId: `${collection}-${id}` as StreamId,
                        expectedVersion: 'any' as const,
                        events: newEvents,
                      },
                    ],
            },
            result: spec.result?.({ state: decision.state, events: raised, version }) as never,
          };
        });
      };
    },
  };
  return models as WriteModels;
}

interface IdempotentCommand {
  readonly key: string;
  readonly commandType: string;
  readonly fingerprint: string;
}

// What the idempotency record of a command sent with a key says it was: its type and a hash of its validated
// payload.
async function commandOf(ctx: CommandHandlerContext, key: string): Promise<IdempotentCommand> {
  const { type, data } = ctx.envelope;
  return { key, commandType: type, fingerprint: await payloadFingerprint(data) };
}

// A repeat of the command that stored the record gets its stored result and position, never one made from the
// repeat; a different command under the same key is refused. A record stored before records named their command
// cannot tell the two apart, and is answered as a repeat, as it was when it was stored.
function replay<R>(ctx: CommandHandlerContext, command: IdempotentCommand, previous: IdempotencyRecord): Outcome<R> {
  if (previous.commandType !== undefined) {
    if (previous.commandType !== command.commandType || previous.fingerprint !== command.fingerprint) {
      throw new IdempotencyKeyReusedError(command.commandType, previous.commandType);
    }
  }
  if (previous.position !== undefined) ctx.advance(previous.position);
  if (ctx instanceof DispatchContext) ctx.replayed = true;
  return { result: previous.result as R };
}

// After the commit, the events go to the mediator's event bus too, for in-process handlers; projections and
// subscribers read them from the store. A failing event handler is reported by the bus and never fails the command.
// An event nobody in this process listens to is not published: that would only validate it once more.
async function publishCommitted(
  committed: Committed,
  ctx: CommandHandlerContext,
  definitions: ReadonlyMap<string, EventDefinition>,
): Promise<void> {
  for (const event of committed.events) {
    const definition = definitions.get(event.type);
    if (definition === undefined) continue;
    if (ctx instanceof DispatchContext && !ctx.listens(definition)) continue;
    await ctx.publish(definition, event.data as never);
  }
}

function checkSpec(model: { name?: unknown; commands?: unknown }, spec: object, fn: string, key: string): void {
  if (typeof model !== 'object' || model === null || typeof model.name !== 'string' || !Array.isArray(model.commands)) {
    throw new InvalidArgumentError(
      `${fn}(): the first argument must come from ${fn === 'eventSourced' ? 'defineDecider' : 'defineStateModel'}()`,
    );
  }
  if (typeof spec !== 'object' || spec === null || typeof (spec as Record<string, unknown>)[key] !== 'function') {
    throw new InvalidArgumentError(`${fn}('${model.name}'): options.${key} must be a function of the command`);
  }
}

function typesOf(definitions: readonly CommandDefinition[]): ReadonlySet<string> {
  return new Set(definitions.map((d) => d.type));
}

function eventsByType(definitions: readonly EventDefinition[]): ReadonlyMap<string, EventDefinition> {
  return new Map(definitions.map((d) => [d.type, d]));
}

function messageFor(
  ctx: CommandHandlerContext,
  data: unknown,
  types: ReadonlySet<string>,
  model: string,
): { readonly type: string; readonly data: unknown } {
  const { type } = ctx.envelope;
  if (!types.has(type)) {
    throw new InvalidArgumentError(`'${model}' does not handle '${type}': add it to its commands`);
  }
  return { type, data };
}

// Validates each decided event against its schema (a bad event is a bug in decide) and stamps its metadata.
async function toNewEvents(
  decided: readonly { readonly type: string; readonly data: unknown }[],
  definitions: ReadonlyMap<string, EventDefinition>,
  ctx: CommandHandlerContext,
  model: string,
): Promise<NewEvent[]> {
  const { envelope } = ctx;
  const metadata = {
    commandId: envelope.id,
    commandType: envelope.type,
    correlationId: envelope.correlationId,
    causationId: envelope.id,
    ...(envelope.principal === undefined ? {} : { principal: envelope.principal.id }),
    ...(envelope.tenant === undefined ? {} : { tenant: envelope.tenant }),
  };
  return Promise.all(
    decided.map(async (event) => {
      const definition = definitions.get(event.type);
      if (definition === undefined) {
        throw new InvalidArgumentError(`'${model}' decided an event it does not declare: '${event.type}'`);
      }
      const data = await validate(definition.schema, event.data, event.type, `event data decided by '${model}'`);
      return { type: event.type, data, metadata, schemaVersion: definition.version };
    }),
  );
}
