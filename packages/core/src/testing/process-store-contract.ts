import { describe, expect, it } from 'vitest';
import type { CommandQueueStore } from '../command-queue/ports.js';
import type { DeadLetterStore } from '../dead-letters/ports.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { defineCommand, defineEvent } from '../messages/define.js';
import type { StandardSchemaV1 } from '../messages/schema.js';
import { globalPosition, START } from '../positions/position.js';
import type { ProcessInstance } from '../process-managers/instance.js';
import type { ProcessCommit, ProcessStore } from '../process-managers/ports.js';
import { defineProcessManager } from '../process-managers/process-manager.js';
import { ProcessManagerRunner } from '../process-managers/runner.js';
import { PROCESS_TIMER_LETTER } from '../process-managers/timer-letters.js';
import type { Logger } from '../runtime/logger.js';
import { queuedCommand as command, T0 } from './queued-command.js';
import { opener } from './store-factory.js';

/**
 * A process store on fresh, empty storage, with the command queue its commits enqueue into and the dead-letter
 * store of the same storage, where a runner parks timers.
 */
export interface ProcessStoreUnderTest {
  readonly store: ProcessStore;
  readonly commands: CommandQueueStore;
  readonly deadLetters: DeadLetterStore;
  /** Lets go of the storage after the test. */
  close(): void | Promise<void>;
}

/** Makes a fresh {@link ProcessStoreUnderTest} for one test. */
export type ProcessStoreFactory = () => Promise<ProcessStoreUnderTest> | ProcessStoreUnderTest;

const P = globalPosition;

function instance(version: number, fields: Partial<ProcessInstance> = {}): ProcessInstance {
  return { state: { step: version, list: ['a', 1, null] }, version, closed: false, timers: {}, ...fields };
}

function commit(correlation: string, fields: Partial<ProcessCommit> = {}): ProcessCommit {
  return { manager: 'pm', correlation, instance: instance(1), commands: [], ...fields };
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// A schema that takes its input as it is: the contract needs no validation library.
const asIs: StandardSchemaV1<{ id: string }> = {
  '~standard': { version: 1, vendor: 'twofold-contract', validate: (value) => ({ value: value as { id: string } }) },
};

/** The manager 'pm' with one timer, `remind`, whose handler sends `test.Remind`, or throws while `broken()`. */
function reminders(broken: () => boolean) {
  return defineProcessManager({
    name: 'pm',
    events: [defineEvent('test.Started', asIs)],
    commands: [defineCommand('test.Remind', asIs)],
    initialState: () => ({}),
    correlate: { 'test.Started': ({ id }) => id },
    on: { 'test.Started': () => ({}) },
    timers: {
      remind: (_, { correlation }) => {
        if (broken()) throw new Error('the mail service is down');
        return { send: [{ type: 'test.Remind', data: { id: correlation } }] };
      },
    },
  });
}

/**
 * The contract of a process store: a commit writes the instance, its timers, its commands (into the queue) and the
 * checkpoint together, or, when the instance's version or the checkpoint moved meanwhile, nothing at all; due
 * timers are listed earliest first, per manager, and count their failures; a runner parks a timer that keeps failing
 * in the dead-letter store and replays it from there; closed instances are pruned by the time they closed.
 *
 * @example
 * processStoreContract('MemoryProcessStore', () => {
 *   const commands = new MemoryCommandQueue();
 *   return { store: new MemoryProcessStore(commands), commands, deadLetters: new MemoryDeadLetterStore(), close() {} };
 * });
 */
export function processStoreContract(name: string, factory: ProcessStoreFactory): void {
  describe(`${name} (process store contract)`, () => {
    const open = opener(factory);

    it('commits an instance with its timers, commands and checkpoint, and reads it back', async () => {
      const { store, commands } = await open();
      expect(await store.instance('pm', 'b1')).toBeUndefined();
      expect(await store.checkpoint('pm')).toBe(START);
      const first = instance(1, { timers: { due: T0 + 5, remind: T0 + 1 } });
      const checkpoint = { from: START, to: P(3) };
      expect(
        await store.commit(commit('b1', { instance: first, commands: [command('c1', { key: 'pm:b1' })], checkpoint })),
      ).toBe(true);
      expect(await store.instance('pm', 'b1')).toEqual(first);
      expect(await store.instance('other', 'b1')).toBeUndefined();
      expect(await store.checkpoint('pm')).toBe(3);
      expect(await store.checkpoint('other')).toBe(START);
      expect(await commands.get('c1')).toMatchObject({ status: 'queued', type: 'test.DoIt', key: 'pm:b1' });
      const second = instance(2, { closed: true, state: 'done' });
      expect(await store.commit(commit('b1', { instance: second }))).toBe(true);
      expect(await store.instance('pm', 'b1')).toEqual(second);
      expect(await store.checkpoint('pm')).toBe(3);
    });

    it('writes nothing when the instance moved since it was read', async () => {
      const { store, commands } = await open();
      expect(await store.commit(commit('b1'))).toBe(true);
      const stale = commit('b1', {
        instance: instance(1, { state: 'stale', timers: { due: T0 } }),
        commands: [command('c2')],
        checkpoint: { from: START, to: P(1) },
      });
      expect(await store.commit(stale)).toBe(false);
      expect(await store.commit(commit('b2', { instance: instance(2) }))).toBe(false);
      expect(await store.instance('pm', 'b1')).toEqual(instance(1));
      expect(await store.instance('pm', 'b2')).toBeUndefined();
      expect(await commands.get('c2')).toBeUndefined();
      expect(await store.checkpoint('pm')).toBe(START);
      expect(await store.dueTimers('pm', T0, 10)).toEqual([]);
    });

    it('writes nothing when the checkpoint moved since it was read', async () => {
      const { store, commands } = await open();
      expect(await store.moveCheckpoint('pm', START, P(2))).toBe(true);
      const late = commit('b1', { commands: [command('c3')], checkpoint: { from: START, to: P(1) } });
      expect(await store.commit(late)).toBe(false);
      expect(await store.moveCheckpoint('pm', START, P(5))).toBe(false);
      expect(await store.instance('pm', 'b1')).toBeUndefined();
      expect(await commands.get('c3')).toBeUndefined();
      expect(await store.checkpoint('pm')).toBe(2);
      expect(await store.commit(commit('b1', { checkpoint: { from: P(2), to: P(4) } }))).toBe(true);
      expect(await store.checkpoint('pm')).toBe(4);
    });

    it('lists due timers earliest first, per manager, up to a limit, and replaces an instance’s timers on commit', async () => {
      const { store } = await open();
      await store.commit(commit('b1', { instance: instance(1, { timers: { due: T0 + 30, remind: T0 + 10 } }) }));
      await store.commit(commit('b2', { instance: instance(1, { timers: { due: T0 + 20 } }) }));
      await store.commit({ ...commit('b1'), manager: 'other', instance: instance(1, { timers: { due: T0 } }) });
      expect(await store.nextTimer('pm')).toBe(T0 + 10);
      expect(await store.dueTimers('pm', T0 + 5, 10)).toEqual([]);
      expect(await store.dueTimers('pm', T0 + 30, 2)).toEqual([
        { correlation: 'b1', name: 'remind', at: T0 + 10 },
        { correlation: 'b2', name: 'due', at: T0 + 20 },
      ]);
      await store.commit(commit('b1', { instance: instance(2, { timers: { due: T0 + 40 } }) }));
      expect(await store.dueTimers('pm', T0 + 100, 10)).toEqual([
        { correlation: 'b2', name: 'due', at: T0 + 20 },
        { correlation: 'b1', name: 'due', at: T0 + 40 },
      ]);
      await store.commit(commit('b2', { instance: instance(2, { closed: true }) }));
      await store.commit(commit('b1', { instance: instance(3) }));
      expect(await store.dueTimers('pm', T0 + 100, 10)).toEqual([]);
      expect(await store.nextTimer('pm')).toBeUndefined();
      expect(await store.nextTimer('other')).toBe(T0);
    });

    it('counts a timer’s failures with it while it stays due at its time, and from none once moved or set anew', async () => {
      const { store } = await open();
      await store.commit(commit('b1', { instance: instance(1, { timers: { due: T0 + 10, remind: T0 + 5 } }) }));
      const due = { correlation: 'b1', name: 'due', at: T0 + 10 };
      const remind = { correlation: 'b1', name: 'remind', at: T0 + 5 };
      expect(await store.timerFailed('pm', due)).toBe(1);
      expect(await store.timerFailed('pm', due)).toBe(2);
      expect(await store.timerFailed('pm', remind)).toBe(1);
      expect(await store.timerFailed('pm', { ...due, at: T0 + 11 })).toBe(0);
      expect(await store.timerFailed('pm', { ...due, correlation: 'b2' })).toBe(0);
      expect(await store.timerFailed('other', due)).toBe(0);
      await store.commit(commit('b1', { instance: instance(2, { timers: { due: T0 + 10, remind: T0 + 6 } }) }));
      expect(await store.timerFailed('pm', due)).toBe(3);
      expect(await store.timerFailed('pm', { ...remind, at: T0 + 6 })).toBe(1);
      expect(await store.timerFailed('pm', remind)).toBe(0);
      await store.commit(commit('b1', { instance: instance(3, { timers: {} }) }));
      expect(await store.timerFailed('pm', due)).toBe(0);
      await store.commit(commit('b1', { instance: instance(4, { timers: { due: T0 + 10 } }) }));
      expect(await store.timerFailed('pm', due)).toBe(1);
      expect(await store.dueTimers('pm', T0 + 10, 10)).toEqual([due]);
    });

    it('serve a runner that parks a timer failing `attempts` times, counted across new runners, then replays it', async () => {
      const { store, commands, deadLetters } = await open();
      const at = T0 + 10;
      await store.commit(commit('b1', { instance: instance(1, { timers: { remind: at } }) }));
      let broken = true;
      const processManager = reminders(() => broken);
      const options = { processManager, store, deadLetters, clock: () => at, attempts: 3, logger: quiet };
      // Every try on a new runner, as after a restart: the count goes on from the one in the store.
      const runner = () => new ProcessManagerRunner({ ...options, feed: new MemoryStore() });
      for (let tries = 1; tries < 3; tries++) {
        expect(await runner().fireTimers()).toBe(0);
        expect(await deadLetters.list('pm')).toEqual([]);
        expect((await store.instance('pm', 'b1'))?.timers).toEqual({ remind: at });
      }
      expect(await runner().fireTimers()).toBe(0);
      const id = `pm:timer:b1:remind:${at}`;
      const letters = await deadLetters.list('pm');
      expect(letters.map((letter) => [letter.id, letter.attempts, letter.event.type, letter.event.data])).toEqual([
        [id, 3, PROCESS_TIMER_LETTER, { correlation: 'b1', timer: 'remind', at }],
      ]);
      expect(letters[0]?.error).toContain('the mail service is down');
      expect(await store.instance('pm', 'b1')).toMatchObject({ version: 2, timers: {} });
      expect(await store.dueTimers('pm', at, 10)).toEqual([]);
      await expect(runner().replay(id)).rejects.toThrow('the mail service is down');
      expect(await deadLetters.get(id)).toMatchObject({ attempts: 4 });
      broken = false;
      await runner().replay(id);
      expect(await deadLetters.list('pm')).toEqual([]);
      expect(await commands.get('pm:b1:3:0')).toMatchObject({
        status: 'queued',
        type: 'test.Remind',
        data: { id: 'b1' },
      });
      expect(await store.instance('pm', 'b1')).toMatchObject({ version: 3, timers: {} });
    });

    it('prunes closed instances closed at or before a time, up to a limit, per manager, and never an open one', async () => {
      const { store } = await open();
      await store.commit(commit('open'));
      const before = Date.now();
      for (const correlation of ['c1', 'c2', 'c3']) {
        await store.commit(commit(correlation, { instance: instance(1, { closed: true }) }));
      }
      await store.commit({ ...commit('c1'), manager: 'other', instance: instance(1, { closed: true }) });
      expect(await store.pruneClosed('pm', before - 1, 10)).toBe(0);
      const after = Date.now();
      expect(await store.pruneClosed('pm', after, 2)).toBe(2);
      expect(await store.pruneClosed('pm', after, 10)).toBe(1);
      expect(await store.pruneClosed('pm', after, 10)).toBe(0);
      for (const correlation of ['c1', 'c2', 'c3']) expect(await store.instance('pm', correlation)).toBeUndefined();
      expect(await store.instance('pm', 'open')).toEqual(instance(1));
      expect(await store.instance('other', 'c1')).toMatchObject({ closed: true });
      // A pruned correlation starts afresh.
      expect(await store.commit(commit('c1'))).toBe(true);
    });
  });
}
