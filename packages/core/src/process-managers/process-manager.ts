import { InvalidArgumentError } from '../errors/errors.js';
import type { CommandDefinition, EventDefinition, PayloadOf } from '../messages/define.js';
import { checkModel, type MessageOf } from '../write-model/models.js';

/** What a process manager's handler gets besides the state: the instance it handles, and the time. */
export interface ProcessContext {
  /** The correlation of the instance: what `correlate` returned for the event, e.g. the booking id. */
  readonly correlation: string;
  /** The manager's clock when it handles the event or fires the timer, in ms since the epoch. */
  readonly now: number;
}

/**
 * What a process manager's handler returns: every field may be left out. It commits in one transaction: the new
 * state, the commands (into the command queue), the timers, and the instance's end.
 *
 * @example
 * const reaction = {
 *   state: { status: 'holding' },
 *   send: [{ type: 'hotel.NotifyGuest', data: { bookingId } }],
 *   setTimers: { paymentDue: now + 15 * 60_000 },
 * };
 */
export interface ProcessReaction<S, C extends CommandDefinition = CommandDefinition, T extends string = string> {
  /** The instance's new state; left out, it stays as it was. */
  readonly state?: S;
  /** Commands to enqueue, run later by a worker in the order given. */
  readonly send?: readonly MessageOf<C>[];
  /** Timers to set, by name: when each falls due (ms since the epoch, or a Date). Setting one again moves it. */
  readonly setTimers?: { readonly [K in T]?: number | Date };
  /** Timers to cancel, by name; cancelling one that is not set is harmless. Cancels come before sets. */
  readonly cancelTimers?: readonly T[];
  /** True to close the instance: its timers are cancelled and later events for it are ignored. */
  readonly complete?: boolean;
}

type EventOfType<E extends EventDefinition, K> = Extract<E, { readonly type: K }>;

/**
 * A process manager (saga): state of its own per correlation (e.g. per booking), changed by events, sending
 * commands and setting timers. Made by {@link defineProcessManager}; registered with `app.processManager(…)`.
 */
export interface ProcessManager<
  S = unknown,
  E extends EventDefinition = EventDefinition,
  C extends CommandDefinition = CommandDefinition,
  T extends string = string,
> {
  /** Names it in logs and dead letters, and keys its instances, timers and checkpoint. */
  readonly name: string;
  /** The events it handles. */
  readonly events: readonly E[];
  /** The commands it may send. */
  readonly commands: readonly C[];
  /** The names of its timers. */
  readonly timers: readonly T[];
  /** The state of an instance before its first event. */
  initialState(): S;
  /** The instance an event belongs to. */
  correlate(event: MessageOf<E>): string;
  /** The handler of the event's type. */
  react(state: S, event: MessageOf<E>, ctx: ProcessContext): ProcessReaction<S, C, T>;
  /** The handler of a timer that fell due. */
  fire(state: S, timer: T, ctx: ProcessContext): ProcessReaction<S, C, T>;
}

/**
 * Defines a process manager: for each event type, the correlation it belongs to and the handler that reacts to it;
 * for each timer, the handler that reacts when it falls due. Handlers are pure (no I/O; the time is `ctx.now`), and
 * every event type and timer needs its handler, so that a missing one is a compile error.
 *
 * @example
 * const checkout = defineProcessManager({
 *   name: 'hotel.checkout',
 *   events: [HoldPlaced, PaymentReceived],
 *   commands: [ReleaseHold],
 *   initialState: () => ({ bookingId: '' }),
 *   correlate: {
 *     'hotel.HoldPlaced': (data) => data.bookingId,
 *     'hotel.PaymentReceived': (data) => data.bookingId,
 *   },
 *   on: {
 *     'hotel.HoldPlaced': (_, { bookingId }, { now }) => ({ state: { bookingId }, setTimers: { paymentDue: now + 900_000 } }),
 *     'hotel.PaymentReceived': () => ({ complete: true }),
 *   },
 *   timers: {
 *     paymentDue: ({ bookingId }) => ({ send: [{ type: 'hotel.ReleaseHold', data: { bookingId } }], complete: true }),
 *   },
 * });
 */
export function defineProcessManager<
  S,
  const E extends readonly EventDefinition[],
  const C extends readonly CommandDefinition[],
  T extends string = never,
>(spec: {
  readonly name: string;
  readonly events: E;
  readonly commands: C;
  readonly initialState: () => S;
  readonly correlate: {
    readonly [K in E[number]['type']]: (data: PayloadOf<EventOfType<E[number], K>>) => string;
  };
  readonly on: {
    readonly [K in E[number]['type']]: (
      state: NoInfer<S>,
      data: PayloadOf<EventOfType<E[number], K>>,
      ctx: ProcessContext,
    ) => ProcessReaction<NoInfer<S>, C[number], NoInfer<T>>;
  };
  readonly timers?: {
    readonly [K in T]: (state: NoInfer<S>, ctx: ProcessContext) => ProcessReaction<NoInfer<S>, C[number], NoInfer<T>>;
  };
}): ProcessManager<S, E[number], C[number], T> {
  const fn = 'defineProcessManager';
  checkModel(spec, fn, ['initialState']);
  const { name } = spec;
  const types = spec.events.map((event) => event.type);
  const correlate = handlerTable(spec.correlate, types, `${fn}('${name}'): correlate`);
  const on = handlerTable(spec.on, types, `${fn}('${name}'): on`);
  const timerHandlers = handlerTable(spec.timers ?? {}, undefined, `${fn}('${name}'): timers`);
  return Object.freeze({
    name,
    events: spec.events,
    commands: spec.commands,
    timers: Object.keys(timerHandlers) as T[],
    initialState: spec.initialState,
    correlate: (event: { type: string; data: unknown }) => correlate[event.type]!(event.data),
    react: (state: S, event: { type: string; data: unknown }, ctx: ProcessContext) =>
      on[event.type]!(state, event.data, ctx),
    fire: (state: S, timer: string, ctx: ProcessContext) => timerHandlers[timer]!(state, ctx),
  }) as ProcessManager<S, E[number], C[number], T>;
}

type AnyHandler = (...args: never[]) => unknown;

// The handlers of a spec's table, one function per key; with `keys`, exactly one for each of them.
function handlerTable(
  table: unknown,
  keys: readonly string[] | undefined,
  where: string,
): Readonly<Record<string, (...args: unknown[]) => never>> {
  if (typeof table !== 'object' || table === null) {
    throw new InvalidArgumentError(`${where} must be an object of functions, one per ${keys ? 'event type' : 'timer'}`);
  }
  const entries = Object.entries(table as Record<string, AnyHandler>);
  for (const [key, handler] of entries) {
    if (keys !== undefined && !keys.includes(key)) {
      throw new InvalidArgumentError(`${where}['${key}']: '${key}' is not one of the events it lists`);
    }
    if (typeof handler !== 'function') throw new InvalidArgumentError(`${where}['${key}'] must be a function`);
  }
  const missing = (keys ?? []).filter((key) => !Object.hasOwn(table, key));
  if (missing.length > 0) throw new InvalidArgumentError(`${where} has no function for '${missing.join("', '")}'`);
  return Object.fromEntries(entries) as never;
}
