import { expect } from 'vitest';
import { DomainError } from '../errors/errors.js';
import type { CommandDefinition, EventDefinition } from '../messages/define.js';
import type { ProcessManager } from '../process-managers/process-manager.js';
import type { Decider, MessageOf, StateModel } from '../write-model/models.js';
import { givenProcess, type ProcessSpecStep, type ProcessWhen } from './process-given-when-then.js';

/** The outcome checks of a {@link given} spec. */
export interface Then<S, E extends EventDefinition> {
  /** The command decides exactly these events (and, for a state model, this state when given). */
  thenEvents(expected: readonly MessageOf<E>[], state?: S): void;
  /** The command is refused with a DomainError of this rule. */
  thenRefuses(rule: string): void;
}

/** What {@link given} returns: the past is set; `when` names the command to decide against it. */
export interface When<S, C extends CommandDefinition, E extends EventDefinition> {
  /** Decides `command` against the given past; the checks of {@link Then} follow. */
  when(command: MessageOf<C>): Then<S, E>;
}

/**
 * Given/When/Then specs for deciders, state models and process managers: given past events (or a state), when a
 * command, then these events, or a refusal; for a process manager, given past events and time passing
 * (`{ after: ms }`, on a clock that starts at `now`, default 0), when an event or time passing (its timers fire), then
 * the commands it sent and its instance's state, timers and end. Uses vitest's `expect`, so it is for tests only.
 *
 * @example
 * given(booking, [{ type: 'hotel.RoomBooked', data: { bookingId: 'b1', roomId: '101', nights: 2 } }])
 *   .when({ type: 'hotel.CancelBooking', data: { bookingId: 'b1' } })
 *   .thenEvents([{ type: 'hotel.BookingCancelled', data: { bookingId: 'b1' } }]);
 *
 * given(guests, { state: null })
 *   .when({ type: 'hotel.RenameGuest', data: { guestId: 'g1', name: 'Ada' } })
 *   .thenRefuses('NO_GUEST');
 *
 * given(checkout, [{ type: 'hotel.HoldPlaced', data: { bookingId: 'b1' } }])
 *   .when({ after: 15 * 60_000 })
 *   .thenSends([{ type: 'hotel.ReleaseHold', data: { bookingId: 'b1' } }], { completed: true });
 */
export function given<S, E extends EventDefinition, C extends CommandDefinition, T extends string>(
  model: ProcessManager<S, E, C, T>,
  history?: readonly ProcessSpecStep<E>[],
  options?: { readonly now?: number },
): ProcessWhen<S, E, C, T>;
export function given<S, C extends CommandDefinition, E extends EventDefinition>(
  model: Decider<S, C, E>,
  history?: readonly MessageOf<E>[],
): When<S, C, E>;
export function given<S, C extends CommandDefinition, E extends EventDefinition>(
  model: StateModel<S, C, E>,
  current?: { readonly state: S },
): When<S, C, E>;
export function given(
  model: Decider<unknown> | StateModel<unknown> | ProcessManager,
  past?: readonly unknown[] | { readonly state: unknown },
  options?: { readonly now?: number },
):
  | When<unknown, CommandDefinition, EventDefinition>
  | ProcessWhen<unknown, EventDefinition, CommandDefinition, string> {
  if ('react' in model) return givenProcess(model, past as never, options);
  return givenModel(model, past as never);
}

function givenModel<S, C extends CommandDefinition, E extends EventDefinition>(
  model: Decider<S, C, E> | StateModel<S, C, E>,
  past?: readonly MessageOf<E>[] | { readonly state: S },
): When<S, C, E> {
  return {
    when(command) {
      const run = (): { events: readonly MessageOf<E>[]; state: S } => {
        if ('evolve' in model) {
          const state = ((past ?? []) as readonly MessageOf<E>[]).reduce(model.evolve, model.initialState());
          const events = model.decide(command, state);
          return { events, state: events.reduce(model.evolve, state) };
        }
        const state = past === undefined ? model.initialState() : (past as { readonly state: S }).state;
        const decision = model.decide(command, state);
        return { events: decision.events ?? [], state: decision.state };
      };
      return {
        thenEvents(expected, state) {
          const outcome = run();
          expect(outcome.events).toEqual(expected);
          if (state !== undefined) expect(outcome.state).toEqual(state);
        },
        thenRefuses(rule) {
          let refusal: unknown;
          try {
            run();
          } catch (error) {
            refusal = error;
          }
          expect(refusal, `expected ${command.type} to be refused with ${rule}`).toBeInstanceOf(DomainError);
          expect((refusal as DomainError).rule).toBe(rule);
        },
      };
    },
  };
}
