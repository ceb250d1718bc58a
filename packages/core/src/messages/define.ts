import { InvalidArgumentError } from '../errors/errors.js';
import { assertStandardSchema, type SchemaInput, type SchemaOutput, type StandardSchemaV1 } from './schema.js';

/** The three kinds of message a mediator carries. */
export type MessageKind = 'command' | 'query' | 'event';

declare const resultType: unique symbol;

/** What every message definition has: its kind, type name, schema, tags and description. */
export interface DefinitionBase<K extends MessageKind, T extends string, S extends StandardSchemaV1> {
  readonly kind: K;
  /** The message type name, e.g. `'hotel.BookRoom'`. Unique per kind within a mediator. */
  readonly type: T;
  /** The one schema that validates the payload and gives its TypeScript type. */
  readonly schema: S;
  /** Free labels that middleware can be scoped to. */
  readonly tags: readonly string[];
  readonly description: string | undefined;
}

/** A command: a task for the write model ("book a room"). Created by {@link defineCommand}. */
export interface CommandDefinition<
  T extends string = string,
  S extends StandardSchemaV1 = StandardSchemaV1,
  R = unknown,
> extends DefinitionBase<'command', T, S> {
  /** Schema of the handler's result, when the command declares one. */
  readonly result: StandardSchemaV1 | undefined;
  /** Type-level only: the handler's result type. */
  readonly [resultType]?: R;
}

/** A query: a question for a read model. Created by {@link defineQuery} or {@link defineStreamQuery}. */
export interface QueryDefinition<
  T extends string = string,
  S extends StandardSchemaV1 = StandardSchemaV1,
  RS extends StandardSchemaV1 = StandardSchemaV1,
  Streaming extends boolean = boolean,
> extends DefinitionBase<'query', T, S> {
  /** Schema of the result (of each item, for a streaming query). */
  readonly result: RS;
  /** True when the handler returns an AsyncIterable of items, read with `mediator.stream`. */
  readonly streaming: Streaming;
}

/** An event: a fact the write side recorded ("room booked"). Created by {@link defineEvent}. */
export interface EventDefinition<T extends string = string, S extends StandardSchemaV1 = StandardSchemaV1>
  extends DefinitionBase<'event', T, S> {
  /** The schema version new events of this type are written with; older ones are upcast on read. */
  readonly version: number;
}

/** Any message definition. */
export type MessageDefinition = CommandDefinition | QueryDefinition | EventDefinition;

/** What a caller passes for a message: the schema's input type. */
export type InputOf<D extends MessageDefinition> = SchemaInput<D['schema']>;
/** What a handler receives: the schema's output type, after validation. */
export type PayloadOf<D extends MessageDefinition> = SchemaOutput<D['schema']>;
/** The result a command handler returns, or a query's result (the item type for streaming queries). */
export type ResultOf<D extends MessageDefinition> =
  D extends CommandDefinition<string, StandardSchemaV1, infer R>
    ? R
    : D extends QueryDefinition<string, StandardSchemaV1, infer RS>
      ? SchemaOutput<RS>
      : undefined;

/** Options shared by every `define*` function. */
export interface DefineOptions {
  /** Labels that middleware can be scoped to, e.g. `['billing']`. */
  readonly tags?: readonly string[];
  /** One line for generated docs. */
  readonly description?: string;
}

/** Options of {@link defineEvent}. */
export interface EventOptions extends DefineOptions {
  /** Schema version of the event type, raised when its data changes shape (see upcasters). Default: 1. */
  readonly version?: number;
}

/** Options of {@link defineCommand}. */
export interface CommandOptions<RS extends StandardSchemaV1 | undefined> extends DefineOptions {
  /** Schema of the handler's result. Without it the command returns nothing (`void`). */
  readonly result?: RS;
}

const TYPE_NAME = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

function base<K extends MessageKind, T extends string, S extends StandardSchemaV1>(
  kind: K,
  fn: string,
  type: T,
  schema: S,
  options: DefineOptions | undefined,
): DefinitionBase<K, T, S> {
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidArgumentError(`${fn}: the type name must be a non-empty string; got ${JSON.stringify(type)}`);
  }
  if (!TYPE_NAME.test(type)) {
    throw new InvalidArgumentError(
      `${fn}: the type name '${type}' must be dot-separated identifiers such as 'hotel.BookRoom'`,
    );
  }
  assertStandardSchema(schema, `${fn}('${type}'): the payload schema`);
  const tags = options?.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new InvalidArgumentError(`${fn}('${type}'): tags must be an array of non-empty strings`);
  }
  return { kind, type, schema, tags: Object.freeze([...tags]), description: options?.description };
}

/**
 * Defines a command: a task-based request to change state, validated by one Standard Schema.
 *
 * @example
 * const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string(), nights: z.int().positive() }), {
 *   result: z.object({ bookingId: z.string() }),
 * });
 */
export function defineCommand<
  T extends string,
  S extends StandardSchemaV1,
  RS extends StandardSchemaV1 | undefined = undefined,
>(
  type: T,
  schema: S,
  options?: CommandOptions<RS>,
): CommandDefinition<T, S, RS extends StandardSchemaV1 ? SchemaOutput<RS> : void> {
  const definition = base('command', 'defineCommand', type, schema, options);
  const result = options?.result;
  if (result !== undefined) assertStandardSchema(result, `defineCommand('${type}'): the result schema`);
  return Object.freeze({ ...definition, result });
}

/**
 * Defines a query: a question answered from a read model, with a schema for its parameters and one for its result.
 *
 * @example
 * const FreeRooms = defineQuery('hotel.FreeRooms', z.object({ from: z.iso.date() }), z.array(z.string()));
 */
export function defineQuery<T extends string, S extends StandardSchemaV1, RS extends StandardSchemaV1>(
  type: T,
  schema: S,
  result: RS,
  options?: DefineOptions,
): QueryDefinition<T, S, RS, false> {
  const definition = base('query', 'defineQuery', type, schema, options);
  assertStandardSchema(result, `defineQuery('${type}'): the result schema`);
  return Object.freeze({ ...definition, result, streaming: false as const });
}

/**
 * Defines a streaming query, whose handler yields items (an AsyncIterable) instead of returning one result.
 * Read it with `mediator.stream(def, params)`.
 *
 * @example
 * const AllBookings = defineStreamQuery('hotel.AllBookings', z.object({}), BookingView);
 * for await (const booking of mediator.stream(AllBookings, {})) console.log(booking);
 */
export function defineStreamQuery<T extends string, S extends StandardSchemaV1, IS extends StandardSchemaV1>(
  type: T,
  schema: S,
  item: IS,
  options?: DefineOptions,
): QueryDefinition<T, S, IS, true> {
  const definition = base('query', 'defineStreamQuery', type, schema, options);
  assertStandardSchema(item, `defineStreamQuery('${type}'): the item schema`);
  return Object.freeze({ ...definition, result: item, streaming: true as const });
}

/**
 * Defines an event: a fact, named in the past tense, that any number of handlers may react to.
 *
 * @example
 * const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ bookingId: z.string(), roomId: z.string() }));
 */
export function defineEvent<T extends string, S extends StandardSchemaV1>(
  type: T,
  schema: S,
  options?: EventOptions,
): EventDefinition<T, S> {
  const definition = base('event', 'defineEvent', type, schema, options);
  const version = options?.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InvalidArgumentError(`defineEvent('${type}'): version must be an integer >= 1; got ${String(version)}`);
  }
  return Object.freeze({ ...definition, version });
}
