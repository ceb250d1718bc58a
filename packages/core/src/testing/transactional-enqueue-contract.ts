import { describe, expect, it } from 'vitest';
import type { TransactionalCommandQueue } from '../command-queue/ports.js';
import type { NewQueuedCommand } from '../command-queue/records.js';
import { isTwofoldError } from '../errors/errors.js';
import type { WriteStore } from '../event-store/ports.js';
import { queuedCommand, T0 } from './queued-command.js';
import { opener } from './store-factory.js';

/** A write store and a command queue of one database handle, on fresh storage. */
export interface TransactionalEnqueueUnderTest<Tx> {
  /** The handle's write store, whose units of work open the transactions. */
  readonly events: WriteStore<Tx>;
  /** The handle's command queue. */
  readonly commands: TransactionalCommandQueue<Tx>;
  /** Lets go of the handle after the test. */
  close(): void | Promise<void>;
}

/** Makes a fresh {@link TransactionalEnqueueUnderTest} for one test. */
export type TransactionalEnqueueFactory<Tx> = () =>
  | Promise<TransactionalEnqueueUnderTest<Tx>>
  | TransactionalEnqueueUnderTest<Tx>;

const command = queuedCommand;

/**
 * A unit-of-work participant that enqueues `next` through `enqueueIn`, collecting what it returns: synchronous where
 * the handle's transactions are (SQLite), so that it runs there too.
 */
function enqueuing<Tx>(commands: TransactionalCommandQueue<Tx>, next: NewQueuedCommand, into: unknown[] = []) {
  return (tx: Tx): void | Promise<void> => {
    const stored = commands.enqueueIn(tx, next);
    if (stored instanceof Promise) return stored.then((c) => void into.push(c));
    into.push(stored);
  };
}

const processState = (id: string, step: number) => ({
  collection: 'test-process',
  id,
  expectedVersion: step - 1,
  state: { step },
});

/**
 * The contract of `enqueueIn(tx, command)`: a command enqueued inside the transaction of another store of the same
 * handle (here a unit of work of its write store, writing a process's state) exists if, and only if, that
 * transaction commits; once committed it is claimable and the queue's subscribers wake.
 *
 * @example
 * transactionalEnqueueContract('sqlite(…)', () => { const db = sqlite(path); return { events: db.events, commands: db.commands, close: () => db.close() }; });
 */
export function transactionalEnqueueContract<Tx>(name: string, factory: TransactionalEnqueueFactory<Tx>): void {
  describe(`${name} (enqueue in another store's transaction)`, () => {
    const open = opener(factory);

    it("commits the command with the transaction's other writes; then it is claimable", async () => {
      const { events, commands } = await open();
      const returned: unknown[] = [];
      await events.commit({
        states: [processState('p1', 1)],
        participants: [enqueuing(commands, command('c1', { key: 'p1' }), returned)],
      });
      expect(returned).toEqual([expect.objectContaining({ id: 'c1', status: 'queued', attempts: 0, key: 'p1' })]);
      expect(await events.load('test-process', 'p1')).toEqual({ state: { step: 1 }, version: 1 });
      expect(await commands.get('c1')).toEqual(returned[0]);
      const claimed = await commands.claim({ limit: 5, leaseMs: 1_000, now: T0 });
      expect(claimed.map((c) => [c.id, c.type, c.data, c.envelope.correlationId])).toEqual([
        ['c1', 'test.DoIt', { id: 'c1', list: [1, 'two', null] }, 'corr-c1'],
      ]);
    });

    it('leaves no command when the transaction rolls back', async () => {
      const { events, commands } = await open();
      const failing = events.commit({
        states: [processState('p1', 1)],
        participants: [
          enqueuing(commands, command('c1')),
          () => {
            throw new Error('a later write failed');
          },
        ],
      });
      await expect(failing).rejects.toThrow('a later write failed');
      expect(await commands.get('c1')).toBeUndefined();
      expect(await events.load('test-process', 'p1')).toBeUndefined();
      expect(await commands.claim({ limit: 5, leaseMs: 1_000, now: T0 })).toEqual([]);
      // The id stays free: enqueued again, the command is stored.
      expect((await commands.enqueue(command('c1'))).status).toBe('queued');
    });

    it('gives back the stored command for an id already in the queue, and stores nothing twice', async () => {
      const { events, commands } = await open();
      await commands.enqueue(command('c1', { priority: 5 }));
      const returned: unknown[] = [];
      await events.commit({
        states: [processState('p1', 1)],
        participants: [enqueuing(commands, command('c1', { priority: 1 }), returned)],
      });
      expect(returned).toEqual([expect.objectContaining({ id: 'c1', priority: 5 })]);
      expect(await commands.claim({ limit: 5, leaseMs: 1_000, now: T0 })).toHaveLength(1);
    });

    it('refuses a malformed command with INVALID_ARGUMENT, and the transaction writes nothing', async () => {
      const { events, commands } = await open();
      const failing = events.commit({
        states: [processState('p1', 1)],
        participants: [enqueuing(commands, command('c1', { priority: 1.5 }))],
      });
      const error = await failing.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTwofoldError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain('priority');
      expect(await commands.get('c1')).toBeUndefined();
      expect(await events.load('test-process', 'p1')).toBeUndefined();
    });

    it("wakes the queue's subscribers once the transaction has committed", async () => {
      const { events, commands } = await open();
      let woken = 0;
      const unsubscribe = commands.subscribe(() => woken++);
      let n = 0;
      // Where wake-ups cross processes (a LISTEN), one may be sent before the listener is ready: commit until one lands.
      await expect
        .poll(async () => {
          n++;
          await events.commit({
            states: [processState(`p${n}`, 1)],
            participants: [enqueuing(commands, command(`c${n}`))],
          });
          return woken;
        })
        .toBeGreaterThan(0);
      unsubscribe();
    });
  });
}
