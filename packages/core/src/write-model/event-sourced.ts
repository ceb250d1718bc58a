import { InvalidArgumentError } from '../errors/errors.js';
import type { WriteStore } from '../event-store/ports.js';
import type { StreamId } from '../event-store/records.js';
import type { CommandHandlerContext } from '../mediator/context.js';
import type { CommandDefinition } from '../messages/define.js';
import type { CommitLoop } from './commit-loop.js';
import { checkSpec, eventsByType, messageFor, toNewEvents, typesOf } from './model-messages.js';
import type { Decider, MessageOf, WithResult } from './models.js';
import type { StateCache } from './state-cache.js';

/** Options of {@link WriteModels.eventSourced}. */
export interface EventSourcedOptions<C extends CommandDefinition> {
  /** The stream a command writes to, e.g. `({ data }) => streamId('booking', data.bookingId)`. */
  readonly stream: (command: MessageOf<C>) => StreamId;
  /** Save a snapshot every this many events, so that long streams load fast. Default: never. */
  readonly snapshotEvery?: number;
}

/** What the handlers of one `writeModels()` share. */
export interface ModelParts<Tx> {
  readonly loop: CommitLoop<Tx>;
  readonly store: WriteStore<Tx>;
}

/**
 * The handler of `models.eventSourced(decider, options)`: loads the stream (from the cache, or a snapshot and the
 * events after it), folds it, decides, and appends the decided events at the version it loaded.
 */
export function eventSourcedHandler<Tx>(
  { loop, store, cache }: ModelParts<Tx> & { readonly cache: StateCache },
  decider: Decider<unknown>,
  spec: EventSourcedOptions<CommandDefinition> & WithResult,
): (data: unknown, ctx: CommandHandlerContext) => Promise<unknown> {
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
    return loop.run(ctx, events, stream, async (fresh) => {
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
      let decided: ReturnType<typeof decider.decide>;
      let newEvents: Awaited<ReturnType<typeof toNewEvents>>;
      try {
        decided = decider.decide(command, loaded);
        newEvents = await toNewEvents(decided, events, ctx, decider.name);
      } catch (error) {
        // A refused decision changed nothing: the state it was made on is still the stream's, so the next
        // command decides on it without reading the stream again (a stream never written is not kept).
        if (version > 0) cache.put(key, { state: loaded, version });
        throw error;
      }
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
            else if (version > 0) cache.put(key, { state: loaded, version });
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
}
