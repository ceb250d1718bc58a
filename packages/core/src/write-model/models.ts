import { InvalidArgumentError } from '../errors/errors.js';
import type { CommandDefinition, EventDefinition, MessageDefinition, PayloadOf } from '../messages/define.js';
import { checkName } from '../messages/handler-table.js';

/** A message as deciders see it: a literal `type` to switch on, and the validated `data`. */
export type MessageOf<D extends MessageDefinition> = {
  // A mapped type, not a conditional one: literals in a decider's return keep their type while it is inferred.
  [T in D['type']]: { readonly type: T; readonly data: PayloadOf<Extract<D, { readonly type: T }>> };
}[D['type']];

/**
 * An event-sourced aggregate as plain functions: the state is folded from its events (`evolve`), and a command
 * becomes new events (`decide`) or a {@link DomainError}.
 */
export interface Decider<
  S,
  C extends CommandDefinition = CommandDefinition,
  E extends EventDefinition = EventDefinition,
> {
  /** Names the aggregate in errors and snapshots. */
  readonly name: string;
  /** The commands it decides; registering the decider registers a handler for each. */
  readonly commands: readonly C[];
  /** The events it emits and folds. */
  readonly events: readonly E[];
  /** The state of a stream with no events yet. */
  initialState(): S;
  /** The state after one more event. Pure: no I/O, no clock. */
  evolve(state: S, event: MessageOf<E>): S;
  /** The events a command produces in this state (none is fine); throws a {@link DomainError} to refuse it. */
  decide(command: MessageOf<C>, state: S): readonly MessageOf<E>[];
}

/**
 * Defines a decider. `decide` and `evolve` switch on the message `type`; give each switch a `never` default so a
 * new command or event is a compile error until handled.
 *
 * @example
 * const booking = defineDecider({
 *   name: 'booking',
 *   commands: [BookRoom, CancelBooking],
 *   events: [RoomBooked, BookingCancelled],
 *   initialState: (): Booking => ({ status: 'none' }),
 *   evolve: (state, event) => {
 *     switch (event.type) {
 *       case 'hotel.RoomBooked': return { status: 'booked', ...event.data };
 *       case 'hotel.BookingCancelled': return { ...state, status: 'cancelled' };
 *       default: return event satisfies never;
 *     }
 *   },
 *   decide: (command, state) => {
 *     switch (command.type) {
 *       case 'hotel.BookRoom': return [{ type: 'hotel.RoomBooked', data: command.data }];
 *       case 'hotel.CancelBooking':
 *         if (state.status !== 'booked') throw new DomainError('NOT_BOOKED', 'Nothing to cancel');
 *         return [{ type: 'hotel.BookingCancelled', data: command.data }];
 *       default: return command satisfies never;
 *     }
 *   },
 * });
 */
export function defineDecider<
  S,
  const C extends readonly CommandDefinition[],
  const E extends readonly EventDefinition[],
>(spec: {
  readonly name: string;
  readonly commands: C;
  readonly events: E;
  readonly initialState: () => S;
  readonly evolve: (state: S, event: MessageOf<E[number]>) => NoInfer<S>;
  readonly decide: (command: MessageOf<C[number]>, state: NoInfer<S>) => readonly MessageOf<E[number]>[];
}): Decider<S, C[number], E[number]> {
  checkModel(spec, 'defineDecider', ['initialState', 'evolve', 'decide']);
  return Object.freeze({ ...spec });
}

/** What a state-stored aggregate decides: its new state, and the events it raised (they reach projections too). */
export interface StateDecision<S, E extends EventDefinition> {
  /** The aggregate's new state, saved in place of the old one. */
  readonly state: S;
  /** Events to append with the state, in the same transaction. */
  readonly events?: readonly MessageOf<E>[] | undefined;
}

/** A state-stored aggregate: a JSON document with a version, changed by commands. Event sourcing is optional. */
export interface StateModel<
  S,
  C extends CommandDefinition = CommandDefinition,
  E extends EventDefinition = EventDefinition,
> {
  /** Names the aggregate in errors, and the collection its states are stored in unless `collection` says otherwise. */
  readonly name: string;
  /** The commands it decides; registering the model registers a handler for each. */
  readonly commands: readonly C[];
  /** The events it may raise beside its new state. */
  readonly events: readonly E[];
  /** The state of an aggregate that was never saved. */
  initialState(): S;
  /** The new state (and events) a command produces; throws a {@link DomainError} to refuse it. */
  decide(command: MessageOf<C>, state: S): StateDecision<S, E>;
}

/**
 * Defines a state-stored aggregate.
 *
 * @example
 * const guests = defineStateModel({
 *   name: 'guest',
 *   commands: [RegisterGuest],
 *   events: [GuestRegistered],
 *   initialState: (): Guest | null => null,
 *   decide: (command, guest) => {
 *     if (guest !== null) throw new DomainError('GUEST_EXISTS', 'Already registered');
 *     return { state: command.data, events: [{ type: 'hotel.GuestRegistered', data: command.data }] };
 *   },
 * });
 */
export function defineStateModel<
  S,
  const C extends readonly CommandDefinition[],
  const E extends readonly EventDefinition[],
>(spec: {
  readonly name: string;
  readonly commands: C;
  readonly events: E;
  readonly initialState: () => S;
  readonly decide: (command: MessageOf<C[number]>, state: NoInfer<S>) => StateDecision<S, E[number]>;
}): StateModel<S, C[number], E[number]> {
  checkModel(spec, 'defineStateModel', ['initialState', 'decide']);
  return Object.freeze({ ...spec });
}

/** Checks a model's spec: its name, its `commands` and `events` arrays of definitions, and its `functions`. */
export function checkModel(spec: Record<string, unknown>, fn: string, functions: readonly string[]): void {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgumentError(`${fn}(): pass { name, commands, events, ... }`);
  checkName(spec.name, `${fn}()`);
  for (const [key, kind] of [
    ['commands', 'command'],
    ['events', 'event'],
  ] as const) {
    const list = spec[key];
    if (!Array.isArray(list) || list.some((d: MessageDefinition | null) => d?.kind !== kind)) {
      throw new InvalidArgumentError(`${fn}('${spec.name}'): ${key} must be an array of ${kind} definitions`);
    }
  }
  for (const name of functions) {
    if (typeof spec[name] !== 'function')
      throw new InvalidArgumentError(`${fn}('${spec.name}'): ${name} must be a function`);
  }
}

/** How a command's result is made from its decision. */
export type ResultFrom<S, E extends EventDefinition, R> = (outcome: {
  readonly state: S;
  readonly events: readonly MessageOf<E>[];
  readonly version: number;
}) => R;

/** Options that may say how a command's result is made. */
export interface WithResult {
  readonly result?: ResultFrom<unknown, EventDefinition, unknown>;
}
