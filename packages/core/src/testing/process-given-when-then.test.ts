import { describe, expect, expectTypeOf, it } from 'vitest';
import { checkout, MINUTE } from '../../tests/fixtures/checkout.js';
import { given } from './given-when-then.js';

const placed = { type: 'hotel.HoldPlaced', data: { bookingId: 'b1', roomId: '101' } } as const;
const paid = { type: 'hotel.PaymentReceived', data: { bookingId: 'b1', amount: 90 } } as const;
const release = { type: 'hotel.ReleaseHold', data: { bookingId: 'b1' } } as const;
const remind = { type: 'hotel.RemindGuest', data: { bookingId: 'b1' } } as const;

describe('given / when / then for process managers', () => {
  it('checks what an event does: state, timers, commands, completion', () => {
    given(checkout)
      .when(placed)
      .thenSends([], { state: { bookingId: 'b1', paid: 0 }, timers: { remind: 5 * MINUTE, paymentDue: 15 * MINUTE } });
    given(checkout, [placed, { after: 2 * MINUTE }])
      .when(paid)
      .thenSends([{ type: 'hotel.ConfirmBooking', data: { bookingId: 'b1' } }], {
        state: { bookingId: 'b1', paid: 90 },
        timers: {},
        completed: true,
      });
  });

  it('fires timers as time passes, each once, at its own due time', () => {
    given(checkout, [placed])
      .when({ after: 5 * MINUTE - 1 })
      .thenSends([], { completed: false });
    given(checkout, [placed])
      .when({ after: 5 * MINUTE })
      .thenSends([remind], { timers: { paymentDue: 15 * MINUTE } });
    given(checkout, [placed])
      .when({ after: 60 * MINUTE })
      .thenSends([remind, release], { timers: {}, completed: true });
    given(checkout, [placed, { after: 10 * MINUTE }])
      .when({ after: 5 * MINUTE })
      .thenSends([release], { completed: true });
    given(checkout, [placed, { after: 10 * MINUTE }, paid])
      .when({ after: 60 * MINUTE })
      .thenSends([]);
  });

  it('ignores events for a completed instance, and starts the clock where told', () => {
    given(checkout, [placed, paid])
      .when(paid)
      .thenSends([], { state: { bookingId: 'b1', paid: 90 }, completed: true });
    given(checkout, [], { now: 1_000 })
      .when(placed)
      .thenSends([], { timers: { remind: 1_000 + 5 * MINUTE, paymentDue: 1_000 + 15 * MINUTE } });
  });

  it('checks the instance named, and asks for one when timers of several fired', () => {
    const other = { type: 'hotel.HoldPlaced', data: { bookingId: 'b2', roomId: '102' } } as const;
    const both = [remind, { ...remind, data: { bookingId: 'b2' } }, release, { ...release, data: { bookingId: 'b2' } }];
    given(checkout, [placed, other])
      .when({ after: 15 * MINUTE })
      .thenSends(both, { instance: 'b2', completed: true });
    expect(() =>
      given(checkout, [placed, other])
        .when({ after: 15 * MINUTE })
        .thenSends([remind, remind, release, release], { instance: 'b2' }),
    ).toThrow();
    expect(() =>
      given(checkout, [placed, other])
        .when({ after: 15 * MINUTE })
        .thenSends(both, { completed: true }),
    ).toThrow(/timers of 2 instances fired; name the one to check with 'instance'/);
  });

  it('fails when the outcome differs', () => {
    expect(() => given(checkout, [placed]).when(paid).thenSends([])).toThrow();
    expect(() =>
      given(checkout)
        .when(placed)
        .thenSends([], { timers: { paymentDue: 15 * MINUTE } }),
    ).toThrow();
    expect(() =>
      given(checkout, [placed])
        .when(paid)
        .thenSends([{ type: 'hotel.ConfirmBooking', data: { bookingId: 'b1' } }], { completed: false }),
    ).toThrow();
  });

  it('types the steps and the expectation from the process manager', () => {
    expectTypeOf(checkout.initialState()).toEqualTypeOf<{ bookingId: string; paid: number }>();
    expectTypeOf(checkout.timers).toEqualTypeOf<readonly ('remind' | 'paymentDue')[]>();
    // Type checks only: the compiler refuses both lines.
    const refused = () => {
      const when = given(checkout, [placed]);
      // @ts-expect-error: not an event the process manager handles
      when.when({ type: 'hotel.Pay', data: { bookingId: 'b1', amount: 1 } });
      // @ts-expect-error: not a timer of the process manager
      when.when(paid).thenSends([], { timers: { nope: 1 } });
    };
    expectTypeOf(refused).toBeFunction();
  });
});
