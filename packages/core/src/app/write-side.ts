import { InvalidArgumentError, TwofoldError } from '../errors/errors.js';
import type { Mediator } from '../mediator/mediator.js';
import type { CommandDefinition, EventDefinition, ResultOf } from '../messages/define.js';
import type { EventSourcedOptions, ResultFrom, StateStoredOptions } from '../write-model/write-models.js';

/** The commands of `C` that declare a result (their handler returns something). */
export type CommandsWithResult<C extends CommandDefinition> = C extends CommandDefinition
  ? ResultOf<C> extends void
    ? never
    : C
  : never;

/** `result`, required when a command of the model declares a result, and absent otherwise. */
export type ResultOption<S, C extends CommandDefinition, E extends EventDefinition> = [CommandsWithResult<C>] extends [
  never,
]
  ? { readonly result?: undefined }
  : { readonly result: ResultFrom<S, E, ResultOf<CommandsWithResult<C>>> };

/** Options of {@link Twofold.decider}: the stream each command writes to, and how its result is made. */
export type DeciderOptions<S, C extends CommandDefinition, E extends EventDefinition> = EventSourcedOptions<C> &
  ResultOption<S, C, E>;

/** Options of {@link Twofold.stateStored}: the aggregate each command changes, and how its result is made. */
export type StateModelOptions<S, C extends CommandDefinition, E extends EventDefinition> = StateStoredOptions<C> &
  ResultOption<S, C, E>;

/**
 * The commands of a write model, once sure that all of them can be registered: none has a handler yet, none is
 * listed twice, and a result is given when one declares it. Nothing is registered when one cannot be.
 */
export function registrable(
  mediator: Mediator,
  fn: string,
  model: { readonly name: string; readonly commands: readonly CommandDefinition[] },
  options: { readonly result?: unknown },
): readonly CommandDefinition[] {
  const taken = new Set(mediator.definitions().commands.map((definition) => definition.type));
  for (const command of model.commands) {
    if (taken.has(command.type)) {
      throw new TwofoldError(
        'DUPLICATE_HANDLER',
        `${fn}('${model.name}'): '${command.type}' already has a handler; a command has exactly one`,
      );
    }
    taken.add(command.type);
  }
  const withResult = model.commands.find((command) => command.result !== undefined);
  if (withResult !== undefined && options.result === undefined) {
    throw new InvalidArgumentError(
      `${fn}('${model.name}'): '${withResult.type}' declares a result; give options.result to make it`,
    );
  }
  return model.commands;
}
