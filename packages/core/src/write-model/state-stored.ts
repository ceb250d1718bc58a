import { InvalidArgumentError } from '../errors/errors.js';
import type { StreamId } from '../event-store/records.js';
import type { CommandHandlerContext } from '../mediator/context.js';
import type { CommandDefinition } from '../messages/define.js';
import type { ModelParts } from './event-sourced.js';
import { checkSpec, eventsByType, messageFor, toNewEvents, typesOf } from './model-messages.js';
import type { MessageOf, StateModel, WithResult } from './models.js';

/** Options of {@link WriteModels.stateStored}. */
export interface StateStoredOptions<C extends CommandDefinition> {
  /** The aggregate a command changes, e.g. `({ data }) => data.guestId`. */
  readonly id: (command: MessageOf<C>) => string;
  /** Where the states are kept (and the stream category of their events). Default: the model's name. */
  readonly collection?: string;
}

/**
 * The handler of `models.stateStored(model, options)`: loads the state row, decides, and saves the new state at
 * the version it loaded, with the events the decision raised.
 */
export function stateStoredHandler<Tx>(
  { loop, store }: ModelParts<Tx>,
  model: StateModel<unknown>,
  spec: StateStoredOptions<CommandDefinition> & WithResult,
): (data: unknown, ctx: CommandHandlerContext) => Promise<unknown> {
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
    return loop.run(ctx, events, `${collection}-${id}`, async () => {
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
}
