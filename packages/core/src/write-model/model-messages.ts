import { InvalidArgumentError } from '../errors/errors.js';
import type { NewEvent } from '../event-store/records.js';
import type { CommandHandlerContext } from '../mediator/context.js';
import type { CommandDefinition, EventDefinition } from '../messages/define.js';
import { validate } from '../messages/schema.js';

// The messages a write model takes and raises: which commands it handles, and its decided events made storable.

/** Checks a model and the options it is given to; throws INVALID_ARGUMENT naming the one that is wrong. */
export function checkSpec(model: { name?: unknown; commands?: unknown }, spec: object, fn: string, key: string): void {
  if (typeof model !== 'object' || model === null || typeof model.name !== 'string' || !Array.isArray(model.commands)) {
    throw new InvalidArgumentError(
      `${fn}(): the first argument must come from ${fn === 'eventSourced' ? 'defineDecider' : 'defineStateModel'}()`,
    );
  }
  if (typeof spec !== 'object' || spec === null || typeof (spec as Record<string, unknown>)[key] !== 'function') {
    throw new InvalidArgumentError(`${fn}('${model.name}'): options.${key} must be a function of the command`);
  }
}

/** The types of the commands a model handles. */
export function typesOf(definitions: readonly CommandDefinition[]): ReadonlySet<string> {
  return new Set(definitions.map((d) => d.type));
}

/** The events a model may raise, by type. */
export function eventsByType(definitions: readonly EventDefinition[]): ReadonlyMap<string, EventDefinition> {
  return new Map(definitions.map((d) => [d.type, d]));
}

/** The command a handler of `model` got, as its decide() takes it; refuses a type the model does not handle. */
export function messageFor(
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

/** Validates each decided event against its schema (a bad event is a bug in decide) and stamps its metadata. */
export async function toNewEvents(
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
