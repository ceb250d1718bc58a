import {
  ConcurrencyConflictError,
  type GlobalPosition,
  type ProcessManagerStatus,
  type ProjectionStatus,
  type SubscriberStatus,
  TwofoldError,
} from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { lagView } from './lag.js';

const at = (n: number) => n as GlobalPosition;
const projection = (failure: ProjectionStatus['failure']): ProjectionStatus => ({
  name: 'bookings',
  version: 1,
  state: failure === undefined ? 'running' : 'failing',
  position: at(7),
  head: at(9),
  lagEvents: 2,
  lagMs: 40,
  activeVersion: 1,
  failure,
  onFailure: 'stop',
  parked: 0,
});
const subscriber = (retrying: SubscriberStatus['retrying']): SubscriberStatus => ({
  name: 'mail.guests',
  running: true,
  position: at(7),
  head: at(9),
  lagEvents: 2,
  retrying,
  deadLetters: 0,
});

describe('lagView', () => {
  it('says where a part stopped and what kind of trouble it met, never the error itself', () => {
    const failing = (error: unknown) =>
      lagView({ projections: [projection({ error, position: at(8), since: 0 })], subscribers: [], processManagers: [] })
        .projections[0]?.error;
    expect(failing(new Error('invalid input syntax for type json'))).toBe(
      'projection bookings stopped at position 8: the read store refused the event (details in the server log)',
    );
    expect(failing(new TwofoldError('UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.7:5432'))).toBe(
      'projection bookings stopped at position 8: its store is unreachable (details in the server log)',
    );
    expect(failing(new ConcurrencyConflictError('slot bookings@1', 7, 9))).toContain(
      'another process applied the same events first',
    );
    expect(failing('a thrown string')).not.toContain('a thrown string');
  });

  it('reports a subscriber retrying an event with its attempt, and a healthy part with no error', () => {
    const view = lagView({
      projections: [projection(undefined)],
      subscribers: [subscriber({ position: at(8), attempt: 3, error: new Error('SMTP 550 mailbox unavailable') })],
      processManagers: [],
    });
    expect(view.projections[0]).toEqual({
      name: 'bookings',
      state: 'running',
      position: 7,
      head: 9,
      lagEvents: 2,
      lagMs: 40,
      error: null,
    });
    expect(view.subscribers[0]?.error).toBe(
      'subscriber mail.guests is retrying the event at position 8 (attempt 3): its effect failed (details in the server log)',
    );
  });

  it('reports a process manager with its dead letters and next timer, and where it is stuck without the error', () => {
    const manager = (failure: ProcessManagerStatus['failure']): ProcessManagerStatus => ({
      name: 'hotel.cancellation',
      running: true,
      position: at(7),
      head: at(9),
      lagEvents: 2,
      failure,
      deadLetters: 1,
      nextTimer: 1_700_000_000_000,
    });
    const view = (failure: ProcessManagerStatus['failure']) =>
      lagView({ projections: [], subscribers: [], processManagers: [manager(failure)] }).processManagers[0];
    expect(view(undefined)).toEqual({
      name: 'hotel.cancellation',
      running: true,
      position: 7,
      head: 9,
      lagEvents: 2,
      deadLetters: 1,
      nextTimer: 1_700_000_000_000,
      error: null,
    });
    const error = 'Error: SQLITE_BUSY: database is locked';
    expect(view({ error, position: at(8), timer: undefined, since: 0 })?.error).toBe(
      'process manager hotel.cancellation is retrying the event at position 8 (details in the server log)',
    );
    expect(view({ error, position: undefined, timer: 'expire of b-1', since: 0 })?.error).toBe(
      'process manager hotel.cancellation is retrying its timer expire of b-1 (details in the server log)',
    );
    expect(view({ error, position: undefined, timer: undefined, since: 0 })?.error).toBe(
      'process manager hotel.cancellation cannot read its log or its store (details in the server log)',
    );
  });
});
