import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../errors/errors.js';
import { defineCommand, defineEvent } from '../messages/define.js';
import { defineDecider, defineStateModel } from '../write-model/models.js';
import { given } from './given-when-then.js';

const Open = defineCommand('door.Open', z.object({ by: z.string() }));
const Close = defineCommand('door.Close', z.object({}));
const Opened = defineEvent('door.Opened', z.object({ by: z.string() }));
const Closed = defineEvent('door.Closed', z.object({}));

const door = defineDecider({
  name: 'door',
  commands: [Open, Close],
  events: [Opened, Closed],
  initialState: () => ({ open: false }),
  evolve: (_, event) => ({ open: event.type === 'door.Opened' }),
  decide: (command, state) => {
    switch (command.type) {
      case 'door.Open':
        if (state.open) throw new DomainError('ALREADY_OPEN', 'The door is open');
        return [{ type: 'door.Opened', data: command.data }];
      case 'door.Close':
        return state.open ? [{ type: 'door.Closed', data: {} }] : [];
      default:
        return command satisfies never;
    }
  },
});

const counter = defineStateModel({
  name: 'counter',
  commands: [Open, Close],
  events: [Opened],
  initialState: () => 0,
  decide: (command, count) => {
    if (command.type === 'door.Close') throw new DomainError('NO', 'no');
    return { state: count + 1, events: [{ type: 'door.Opened', data: command.data }] };
  },
});

describe('given / when / then', () => {
  it('checks the events a decider decides from its history', () => {
    given(door)
      .when({ type: 'door.Open', data: { by: 'ada' } })
      .thenEvents([{ type: 'door.Opened', data: { by: 'ada' } }]);
    given(door, [{ type: 'door.Opened', data: { by: 'ada' } }])
      .when({ type: 'door.Close', data: {} })
      .thenEvents([{ type: 'door.Closed', data: {} }], { open: false });
    given(door).when({ type: 'door.Close', data: {} }).thenEvents([]);
    given(door, [{ type: 'door.Opened', data: { by: 'ada' } }])
      .when({ type: 'door.Open', data: { by: 'bob' } })
      .thenRefuses('ALREADY_OPEN');
  });

  it('checks the state and events a state model decides', () => {
    given(counter, { state: 41 })
      .when({ type: 'door.Open', data: { by: 'ada' } })
      .thenEvents([{ type: 'door.Opened', data: { by: 'ada' } }], 42);
    given(counter).when({ type: 'door.Close', data: {} }).thenRefuses('NO');
  });

  it('fails when the outcome differs', () => {
    expect(() =>
      given(door)
        .when({ type: 'door.Open', data: { by: 'ada' } })
        .thenEvents([]),
    ).toThrow();
    expect(() =>
      given(door)
        .when({ type: 'door.Open', data: { by: 'ada' } })
        .thenRefuses('ALREADY_OPEN'),
    ).toThrow(/expected door.Open to be refused with ALREADY_OPEN/);
    expect(() =>
      given(counter, { state: 1 })
        .when({ type: 'door.Open', data: { by: 'a' } })
        .thenEvents([{ type: 'door.Opened', data: { by: 'a' } }], 5),
    ).toThrow();
  });
});
