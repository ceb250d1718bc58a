import type { CommandDefinition, QueryDefinition } from '@twofold/core';
import { type QueryStringValues, queryStringCoercion } from '../schemas/coerce.js';
import { type Converted, type JsonSchemaConverter, toJsonSchema } from '../schemas/json-schema.js';
import type { MediatorPort } from './options.js';

export interface CommandEntry {
  readonly definition: CommandDefinition;
  readonly input: Converted;
  readonly result: Converted | undefined;
}

export interface QueryEntry {
  readonly definition: QueryDefinition;
  readonly input: Converted;
  readonly result: Converted;
  /** True when the query has a parameter named `after`, which then is not the consistency token. */
  readonly ownsAfter: boolean;
  /** Turns a query string into the parameters the input schema expects; see `coerceQueryString`. */
  readonly coerce: (values: QueryStringValues) => Record<string, unknown>;
}

/** The routes' view of a mediator's registry, with each schema converted to JSON Schema once. */
export interface Catalog {
  readonly commands: ReadonlyMap<string, CommandEntry>;
  readonly queries: ReadonlyMap<string, QueryEntry>;
}

export function catalogOf(mediator: MediatorPort, converter: JsonSchemaConverter | undefined): Catalog {
  const { commands, queries } = mediator.definitions();
  return {
    commands: new Map(
      commands.map((definition) => [
        definition.type,
        {
          definition,
          input: toJsonSchema(definition.schema, 'input', converter),
          result: definition.result === undefined ? undefined : toJsonSchema(definition.result, 'output', converter),
        },
      ]),
    ),
    queries: new Map(
      queries.map((definition) => {
        const input = toJsonSchema(definition.schema, 'input', converter);
        const properties = input.schema.properties;
        const ownsAfter = typeof properties === 'object' && properties !== null && Object.hasOwn(properties, 'after');
        return [
          definition.type,
          {
            definition,
            input,
            result: toJsonSchema(definition.result, 'output', converter),
            ownsAfter,
            coerce: queryStringCoercion(input.schema),
          },
        ];
      }),
    ),
  };
}
