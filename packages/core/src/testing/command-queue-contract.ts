import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandQueueStore } from '../command-queue/ports.js';
import type { QueuedCommand } from '../command-queue/records.js';
import { isTwofoldError } from '../errors/errors.js';
import { globalPosition } from '../positions/position.js';
import { queuedCommand, T0 } from './queued-command.js';
import { opener } from './store-factory.js';

/** A command queue on fresh, empty storage. */
export interface CommandQueueUnderTest {
  readonly queue: CommandQueueStore;
  /** Lets go of the queue after the test. */
  close(): void | Promise<void>;
}

/** Makes a fresh {@link CommandQueueUnderTest} for one test. */
export type CommandQueueFactory = () => Promise<CommandQueueUnderTest> | CommandQueueUnderTest;

const LEASE = 60_000;
const command = queuedCommand;

/**
 * The contract of a command queue store: commands are stored as given and read back with their status; claims hand
 * out what is due, by priority, time and enqueue order, one live command per key; leases keep other claims off
 * until they end; complete, fail (retry or dead), release, cancel, replay and discard do what they say, and only
 * under the lease that holds; `onSettled` hears each command a call made final. Property tests check key order and that concurrent claims never share a command.
 *
 * @example
 * commandQueueContract('MemoryCommandQueue', () => ({ queue: new MemoryCommandQueue(), close() {} }));
 */
export function commandQueueContract(name: string, factory: CommandQueueFactory): void {
  describe(`${name} (command queue contract)`, () => {
    const subject = opener(factory);
    const open = async () => (await subject()).queue;
    const claimIds = async (queue: CommandQueueStore, now: number, limit = 10) =>
      (await queue.claim({ limit, leaseMs: LEASE, now })).map((c) => c.id);

    it('stores a command as queued and reads it back; the same id again returns the stored one', async () => {
      const queue = await open();
      const stored = await queue.enqueue(command('c1', { key: 'k', priority: 2, runAt: T0 + 5 }));
      const expected: QueuedCommand = {
        ...command('c1', { key: 'k', priority: 2, runAt: T0 + 5 }),
        status: 'queued',
        attempts: 0,
        result: undefined,
        position: undefined,
        problem: undefined,
        updatedAt: T0,
      };
      expect(stored).toEqual(expected);
      expect(await queue.get('c1')).toEqual(expected);
      expect(await queue.enqueue(command('c1', { data: 'other' }))).toEqual(expected);
      expect(await queue.get('nope')).toBeUndefined();
    });

    it('hands out due commands by priority, then time, then enqueue order, each once, counting attempts', async () => {
      const queue = await open();
      await queue.enqueue(command('late', { runAt: T0 + 1_000 }));
      await queue.enqueue(command('b'));
      await queue.enqueue(command('a', { runAt: T0 - 10 }));
      await queue.enqueue(command('urgent', { priority: 5 }));
      await queue.enqueue(command('c'));
      const claimed = await queue.claim({ limit: 3, leaseMs: LEASE, now: T0 });
      expect(claimed.map((c) => [c.id, c.status, c.attempts, c.leaseUntil])).toEqual([
        ['urgent', 'running', 1, T0 + LEASE],
        ['a', 'running', 1, T0 + LEASE],
        ['b', 'running', 1, T0 + LEASE],
      ]);
      expect(new Set(claimed.map((c) => c.lease)).size).toBe(3);
      expect(await claimIds(queue, T0)).toEqual(['c']);
      expect(await claimIds(queue, T0 + 999)).toEqual([]);
      expect(await claimIds(queue, T0 + 1_000)).toEqual(['late']);
      expect((await queue.get('a'))?.status).toBe('running');
    });

    it('hands a command out again once its lease ends, and then only the new lease counts', async () => {
      const queue = await open();
      await queue.enqueue(command('c1'));
      const [first] = await queue.claim({ limit: 1, leaseMs: 100, now: T0 });
      expect(await claimIds(queue, T0 + 99)).toEqual([]);
      expect(await queue.renew('c1', first!.lease, T0 + 200)).toBe(true);
      expect(await claimIds(queue, T0 + 150)).toEqual([]);
      const [second] = await queue.claim({ limit: 1, leaseMs: 100, now: T0 + 200 });
      expect([second?.id, second?.attempts]).toEqual(['c1', 2]);
      const done = { result: 'r', position: globalPosition(1) };
      expect(await queue.complete('c1', first!.lease, done, T0 + 201)).toBe(false);
      expect(await queue.fail('c1', first!.lease, { code: 'X', message: 'm' }, undefined, T0 + 201)).toBe(false);
      expect(await queue.renew('c1', first!.lease, T0 + 900)).toBe(false);
      expect(await queue.release('c1', first!.lease, T0 + 201)).toBe(false);
      expect((await queue.get('c1'))?.status).toBe('running');
      expect(await queue.complete('c1', second!.lease, done, T0 + 202)).toBe(true);
      expect(await queue.complete('c1', second!.lease, done, T0 + 203)).toBe(false);
    });

    it('records success with the result and position', async () => {
      const queue = await open();
      await queue.enqueue(command('c1'));
      await queue.enqueue(command('c2'));
      const [c1, c2] = await queue.claim({ limit: 2, leaseMs: LEASE, now: T0 });
      await queue.complete(
        'c1',
        c1!.lease,
        { result: { bookingId: 'b1', n: [1] }, position: globalPosition(42) },
        T0 + 7,
      );
      await queue.complete('c2', c2!.lease, { result: undefined, position: undefined }, T0 + 8);
      const done = await queue.get('c1');
      expect([done?.status, done?.result, done?.position, done?.attempts, done?.updatedAt]).toEqual([
        'succeeded',
        { bookingId: 'b1', n: [1] },
        42,
        1,
        T0 + 7,
      ]);
      const empty = await queue.get('c2');
      expect([empty?.status, empty?.result, empty?.position]).toEqual(['succeeded', undefined, undefined]);
      expect(await claimIds(queue, T0 + LEASE * 2)).toEqual([]);
    });

    it('retries a failed command when due, keeps a dead one until it is replayed or discarded', async () => {
      const queue = await open();
      await queue.enqueue(command('again'));
      await queue.enqueue(command('broken'));
      const [again, broken] = await queue.claim({ limit: 2, leaseMs: LEASE, now: T0 });
      await queue.fail('again', again!.lease, { code: 'UNAVAILABLE', message: 'db down' }, T0 + 500, T0 + 1);
      await queue.fail('broken', broken!.lease, { code: 'INTERNAL', message: 'bug' }, undefined, T0 + 2);
      const failed = await queue.get('again');
      expect([failed?.status, failed?.problem, failed?.runAt, failed?.attempts]).toEqual([
        'failed',
        { code: 'UNAVAILABLE', message: 'db down' },
        T0 + 500,
        1,
      ]);
      expect(await claimIds(queue, T0 + 499)).toEqual([]);
      const [retried] = await queue.claim({ limit: 5, leaseMs: LEASE, now: T0 + 500 });
      expect([retried?.id, retried?.attempts]).toEqual(['again', 2]);

      expect((await queue.dead()).map((c) => [c.id, c.status, c.problem?.message])).toEqual([
        ['broken', 'dead', 'bug'],
      ]);
      expect(await queue.replay('again', T0)).toBe(false);
      expect(await queue.replay('broken', T0 + 600)).toBe(true);
      expect(await queue.dead()).toEqual([]);
      const replayed = await queue.get('broken');
      expect([replayed?.status, replayed?.attempts, replayed?.runAt]).toEqual(['queued', 0, T0 + 600]);
      const [third] = await queue.claim({ limit: 5, leaseMs: LEASE, now: T0 + 600 });
      await queue.fail('broken', third!.lease, { code: 'INTERNAL', message: 'still' }, undefined, T0 + 601);
      expect(await queue.discard('again')).toBe(false);
      expect(await queue.discard('broken')).toBe(true);
      expect(await queue.get('broken')).toBeUndefined();
      expect(await queue.dead(1)).toEqual([]);
    });

    it('takes a released command back without counting the attempt', async () => {
      const queue = await open();
      await queue.enqueue(command('c1'));
      const [claimed] = await queue.claim({ limit: 1, leaseMs: LEASE, now: T0 });
      expect(await queue.release('c1', claimed!.lease, T0 + 1)).toBe(true);
      const released = await queue.get('c1');
      expect([released?.status, released?.attempts]).toEqual(['queued', 0]);
      expect(await claimIds(queue, T0 + 2)).toEqual(['c1']);
    });

    it('records the outcomes of commands ending at once, each under its own lease; a stale lease changes nothing', async () => {
      const queue = await open();
      for (const id of ['a', 'b', 'c', 'd', 'stale']) await queue.enqueue(command(id));
      const claimed = await queue.claim({ limit: 5, leaseMs: 100, now: T0 });
      const lease = (id: string) => claimed.find((c) => c.id === id)!.lease;
      for (const id of ['a', 'b', 'c', 'd']) expect(await queue.renew(id, lease(id), T0 + LEASE)).toBe(true);
      const [again] = await queue.claim({ limit: 5, leaseMs: LEASE, now: T0 + 100 });
      expect(again?.id).toBe('stale');
      const answers = await Promise.all([
        queue.complete('a', lease('a'), { result: 'ra', position: globalPosition(3) }, T0 + 101),
        queue.complete('stale', lease('stale'), { result: 'old', position: undefined }, T0 + 101),
        queue.fail('c', lease('c'), { code: 'X', message: 'm' }, T0 + 500, T0 + 101),
        queue.complete('b', lease('b'), { result: 'rb', position: undefined }, T0 + 101),
        queue.release('d', lease('d'), T0 + 101),
      ]);
      expect(answers).toEqual([true, false, true, true, true]);
      const status = async (id: string) => {
        const found = await queue.get(id);
        return [found?.status, found?.attempts, found?.result];
      };
      expect(await Promise.all(['a', 'b', 'c', 'd', 'stale'].map(status))).toEqual([
        ['succeeded', 1, 'ra'],
        ['succeeded', 1, 'rb'],
        ['failed', 1, undefined],
        ['queued', 0, undefined],
        ['running', 2, undefined],
      ]);
      expect(await queue.complete('stale', again!.lease, { result: 'new', position: undefined }, T0 + 102)).toBe(true);
      expect(await status('stale')).toEqual(['succeeded', 2, 'new']);
    });

    it('cancels a queued or failed command, and no other', async () => {
      const queue = await open();
      await queue.enqueue(command('queued'));
      await queue.enqueue(command('running'));
      await queue.enqueue(command('retrying'));
      const claimed = await queue.claim({ limit: 3, leaseMs: LEASE, now: T0 });
      expect(await queue.release('queued', claimed[0]!.lease, T0)).toBe(true);
      await queue.fail('retrying', claimed[2]!.lease, { code: 'X', message: 'm' }, T0 + 100, T0);
      expect(await queue.cancel('queued', T0 + 1)).toBe(true);
      expect(await queue.cancel('retrying', T0 + 1)).toBe(true);
      expect(await queue.cancel('running', T0 + 1)).toBe(false);
      expect(await queue.cancel('queued', T0 + 2)).toBe(false);
      expect(await queue.cancel('unknown', T0 + 2)).toBe(false);
      expect((await queue.get('queued'))?.status).toBe('cancelled');
      expect(await claimIds(queue, T0 + 1_000)).toEqual([]);
    });

    it('tells onSettled listeners the id of each command that a call made final, and of no other', async () => {
      const queue = await open();
      const heard: string[] = [];
      // Undefined is a hint from another process, where the store can hear one: not a call made here.
      const stop = queue.onSettled((id) => id !== undefined && heard.push(id));
      for (const id of ['done', 'dead', 'retrying', 'released', 'cancelled']) await queue.enqueue(command(id));
      const claimed = await queue.claim({ limit: 4, leaseMs: LEASE, now: T0 });
      const lease = (id: string) => claimed.find((c) => c.id === id)!.lease;
      expect(await queue.complete('done', lease('done'), { result: 1, position: undefined }, T0 + 1)).toBe(true);
      expect(await queue.fail('dead', lease('dead'), { code: 'X', message: 'm' }, undefined, T0 + 1)).toBe(true);
      expect(await queue.fail('retrying', lease('retrying'), { code: 'X', message: 'm' }, T0 + 9, T0 + 1)).toBe(true);
      expect(await queue.release('released', lease('released'), T0 + 1)).toBe(true);
      expect(await queue.cancel('cancelled', T0 + 1)).toBe(true);
      // Calls that change nothing tell nobody.
      expect(await queue.complete('done', lease('done'), { result: 2, position: undefined }, T0 + 2)).toBe(false);
      expect(await queue.cancel('cancelled', T0 + 2)).toBe(false);
      expect(heard).toEqual(['done', 'dead', 'cancelled']);
      stop();
      expect(await queue.cancel('retrying', T0 + 3)).toBe(true);
      expect(heard).toEqual(['done', 'dead', 'cancelled']);
    });

    it('refuses an onSettled listener that is not a function, and a listener that throws fails no outcome', async () => {
      const queue = await open();
      expect(() => queue.onSettled('soon' as never)).toThrow('onSettled: the listener must be a function; got string');
      const heard: string[] = [];
      const stops = [
        queue.onSettled(() => {
          throw new Error('listener bug');
        }),
        queue.onSettled((id) => id !== undefined && heard.push(id)),
      ];
      await queue.enqueue(command('c1'));
      const [claimed] = await queue.claim({ limit: 1, leaseMs: LEASE, now: T0 });
      expect(await queue.complete('c1', claimed!.lease, { result: 1, position: undefined }, T0 + 1)).toBe(true);
      expect(heard).toEqual(['c1']);
      for (const stop of stops) stop();
    });

    it('runs commands with one key one after another, in enqueue order, whatever their priority and time', async () => {
      const queue = await open();
      await queue.enqueue(command('k1', { key: 'k', runAt: T0 + 10 }));
      await queue.enqueue(command('k2', { key: 'k', priority: 9 }));
      await queue.enqueue(command('k3', { key: 'k' }));
      await queue.enqueue(command('other', { key: 'j' }));
      expect(await claimIds(queue, T0)).toEqual(['other']);
      const [k1] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T0 + 10 });
      expect(k1?.id).toBe('k1');
      expect(await claimIds(queue, T0 + 11)).toEqual([]);
      await queue.fail('k1', k1!.lease, { code: 'X', message: 'm' }, T0 + 50, T0 + 12);
      expect(await claimIds(queue, T0 + 20)).toEqual([]);
      await queue.cancel('k1', T0 + 21);
      const [k2] = await queue.claim({ limit: 10, leaseMs: LEASE, now: T0 + 22 });
      expect(k2?.id).toBe('k2');
      await queue.fail('k2', k2!.lease, { code: 'X', message: 'm' }, undefined, T0 + 23);
      expect(await claimIds(queue, T0 + 24)).toEqual(['k3']);
    });

    it('tells subscribers of a new command, until they unsubscribe', async () => {
      const queue = await open();
      let calls = 0;
      const unsubscribe = queue.subscribe(() => calls++);
      await queue.enqueue(command('c1'));
      await expect.poll(() => calls).toBeGreaterThan(0);
      unsubscribe();
      const before = calls;
      await queue.enqueue(command('c2'));
      await queue.claim({ limit: 10, leaseMs: LEASE, now: T0 });
      expect(calls).toBe(before);
    });

    it('refuses a malformed command or claim, and stores nothing', async () => {
      const queue = await open();
      const refused = [
        await queue.enqueue(command('')).catch((e: unknown) => e),
        await queue.enqueue(command('c', { key: '' })).catch((e: unknown) => e),
        await queue.enqueue(command('c', { priority: 1.5 })).catch((e: unknown) => e),
        await queue.enqueue(command('c', { runAt: Number.NaN })).catch((e: unknown) => e),
        await queue.enqueue(command('c', { data: () => 1 })).catch((e: unknown) => e),
        await queue.claim({ limit: 0, leaseMs: LEASE, now: T0 }).catch((e: unknown) => e),
        await queue.claim({ limit: 1, leaseMs: 0, now: T0 }).catch((e: unknown) => e),
      ];
      for (const error of refused) expect(isTwofoldError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect(await queue.get('c')).toBeUndefined();
    });

    it('never hands one command to two concurrent claims', async () => {
      const queue = await open();
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 12 }),
          fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 5 }),
          async (count, limits) => {
            const run = crypto.randomUUID();
            for (let i = 0; i < count; i++) await queue.enqueue(command(`${run}-${i}`));
            const claims = await Promise.all(limits.map((limit) => queue.claim({ limit, leaseMs: LEASE, now: T0 })));
            const ids = claims.flat().map((c) => c.id);
            expect(new Set(ids).size).toBe(ids.length);
            expect(ids.length).toBe(
              Math.min(
                count,
                limits.reduce((a, b) => a + b, 0),
              ),
            );
            for (const claimed of claims.flat())
              await queue.complete(claimed.id, claimed.lease, { result: null, position: undefined }, T0);
            for (const rest of await queue.claim({ limit: 20, leaseMs: LEASE, now: T0 })) {
              await queue.complete(rest.id, rest.lease, { result: null, position: undefined }, T0);
            }
          },
        ),
        { numRuns: 15 },
      );
    });

    it('starts the commands of each key in enqueue order, never two at once, with any priorities, times and failures', async () => {
      const queue = await open();
      const arbitraryCommand = fc.record({
        key: fc.constantFrom(undefined, 'a', 'b', 'c'),
        priority: fc.integer({ min: 0, max: 3 }),
        delay: fc.integer({ min: 0, max: 3 }),
        failsFirst: fc.boolean(),
      });
      let base = T0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbitraryCommand, { minLength: 1, maxLength: 12 }),
          fc.integer({ min: 1, max: 4 }),
          async (commands, limit) => {
            base += 1_000_000;
            const run = crypto.randomUUID();
            const id = (i: number) => `${run}-${i}`;
            for (const [i, c] of commands.entries()) {
              await queue.enqueue(
                command(id(i), {
                  key: c.key ? `${run}-${c.key}` : undefined,
                  priority: c.priority,
                  runAt: base + c.delay * 10,
                  enqueuedAt: base,
                }),
              );
            }
            const started: number[] = [];
            const done = new Set<number>();
            let running: { readonly index: number; readonly lease: string; readonly attempts: number }[] = [];
            for (let step = 0; done.size < commands.length; step++) {
              expect(step).toBeLessThan(200);
              const now = base + step * 10;
              const claimed = await queue.claim({ limit, leaseMs: LEASE, now });
              const runningKeys = running.map((r) => commands[r.index]!.key).filter((k) => k !== undefined);
              for (const c of claimed) {
                const index = Number(c.id.slice(run.length + 1));
                const key = commands[index]!.key;
                expect(key === undefined || !runningKeys.includes(key)).toBe(true);
                if (key !== undefined) runningKeys.push(key);
                if (c.attempts === 1) started.push(index);
              }
              for (const r of running) {
                if (commands[r.index]!.failsFirst && r.attempts === 1) {
                  await queue.fail(id(r.index), r.lease, { code: 'X', message: 'once' }, now + 10, now);
                } else {
                  await queue.complete(id(r.index), r.lease, { result: r.index, position: undefined }, now);
                  done.add(r.index);
                }
              }
              running = claimed.map((c) => ({
                index: Number(c.id.slice(run.length + 1)),
                lease: c.lease,
                attempts: c.attempts,
              }));
            }
            for (const key of ['a', 'b', 'c']) {
              const ofKey = started.filter((i) => commands[i]!.key === key);
              expect(ofKey).toEqual([...ofKey].sort((x, y) => x - y));
            }
          },
        ),
        { numRuns: 15 },
      );
    });
  });
}
