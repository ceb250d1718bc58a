import { describe, expect, it } from 'vitest';
import { HoldPlaced, PaymentReceived, ReleaseHold } from '../../tests/fixtures/checkout.js';
import { defineProcessManager } from './process-manager.js';

const spec = {
  name: 'hotel.checkout',
  events: [HoldPlaced, PaymentReceived],
  commands: [ReleaseHold],
  initialState: () => 0,
  correlate: {
    'hotel.HoldPlaced': (data: { bookingId: string }) => data.bookingId,
    'hotel.PaymentReceived': (data: { bookingId: string }) => data.bookingId,
  },
  on: { 'hotel.HoldPlaced': () => ({}), 'hotel.PaymentReceived': () => ({}) },
  timers: { due: () => ({}) },
} as const;

describe('defineProcessManager', () => {
  it('hands each event to the handler and the correlation of its type, and each timer to its handler', () => {
    const manager = defineProcessManager({
      ...spec,
      on: {
        'hotel.HoldPlaced': (count, { roomId }, { correlation, now }) => ({
          state: correlation === 'b1' ? count + now + roomId.length : -1,
        }),
        'hotel.PaymentReceived': (count) => ({ state: count + 10 }),
      },
      timers: { due: (count, { now }) => ({ state: count + now }) },
    });
    const placed = { type: 'hotel.HoldPlaced', data: { bookingId: 'b1', roomId: '101' } } as const;
    expect(manager.correlate(placed)).toBe('b1');
    expect(manager.react(1, placed, { correlation: 'b1', now: 5 })).toEqual({ state: 9 });
    expect(manager.fire(1, 'due', { correlation: 'b1', now: 5 })).toEqual({ state: 6 });
    expect(manager.timers).toEqual(['due']);
    expect(Object.isFrozen(manager)).toBe(true);
  });

  it('refuses a spec without a handler or correlation for each event, or with handlers for others', () => {
    const define = (changes: object) => () => defineProcessManager({ ...spec, ...changes } as never);
    expect(define({ name: 'bad name' })).toThrow(/name must start with a letter/);
    expect(define({ events: [ReleaseHold] })).toThrow(/events must be an array of event definitions/);
    expect(define({ on: { 'hotel.HoldPlaced': () => ({}) } })).toThrow(
      "defineProcessManager('hotel.checkout'): on has no function for 'hotel.PaymentReceived'",
    );
    expect(define({ correlate: { ...spec.correlate, 'hotel.Other': () => 'x' } })).toThrow(
      "correlate['hotel.Other']: 'hotel.Other' is not one of the events it lists",
    );
    expect(define({ timers: { due: 5 } })).toThrow("timers['due'] must be a function");
    expect(define({ on: null })).toThrow(/on must be an object of functions, one per event type/);
  });
});
