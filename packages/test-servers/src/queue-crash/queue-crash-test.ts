import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { streamId } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { runTypeScript } from '../child.js';
import { Add, counterApp } from './queue-app.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Where {@link queueCrashTest} runs: the database, opened alike in the test and in its worker processes. */
export interface QueueCrashOptions {
  /** The absolute path of a module whose `openStore(...args)` opens the database (see `QueueStoreModule`). */
  readonly storeModule: string;
  /** The arguments of `openStore` for one test: a fresh file, a fresh schema. */
  readonly storeArgs: () => readonly string[];
  /** How often a worker looks for commands when no wake-up reaches it from another process. */
  readonly pollIntervalMs: number;
}

/**
 * The command queue's crash test, on any database two processes can share: a worker killed with SIGKILL after its
 * command's write model committed, and before the command was marked succeeded, loses nothing; another worker
 * process runs the command again once its lease ends, and its effect stays single.
 *
 * @example
 * queueCrashTest({ storeModule: join(here, 'fixtures', 'queue-store.ts'), storeArgs: () => [temp.file('q')], pollIntervalMs: 50 });
 */
export function queueCrashTest(options: QueueCrashOptions): void {
  describe('a queue worker killed with SIGKILL mid-command', () => {
    it('loses nothing: another process runs the command again once its lease ends, and its effect stays single', async () => {
      const args = options.storeArgs();
      const worker = (mode: 'run' | 'stall') =>
        runTypeScript(join(here, 'queue-worker.ts'), [
          options.storeModule,
          mode,
          String(options.pollIntervalMs),
          ...args,
        ]);
      const app = await counterApp(options.storeModule, args);
      await app.start();
      const doomed = worker('stall');
      // The survivor starts only once the first worker is dead, so that the first command can only be claimed by it.
      let survivor: ReturnType<typeof worker> | undefined;
      try {
        await doomed.until((line) => line === 'ready');
        const first = await app.enqueue(Add, { counter: 'c1', amount: 1 });
        // The first worker commits the command's event, then dies before it can mark the command succeeded.
        await doomed.until((line) => line === `committed ${first.id} false`);
        doomed.process.kill('SIGKILL');
        expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
        expect((await app.commandStatus(first.id))?.status).toBe('running');

        // The survivor runs the new commands, and the first one again once its lease ends: its write model
        // answers from the idempotency record the first run committed, and appends nothing.
        survivor = worker('run');
        await survivor.until((line) => line === 'ready');
        const others = [
          await app.enqueue(Add, { counter: 'c2', amount: 2 }),
          await app.enqueue(Add, { counter: 'c3', amount: 3 }),
        ];
        await survivor.until((line) => line === `committed ${first.id} true`);
        const lines = survivor.lines;
        await survivor.until(() => others.every(({ id }) => lines.includes(`committed ${id} false`)));
        for (const { id } of [first, ...others]) {
          await expect.poll(async () => (await app.commandStatus(id))?.status).toBe('succeeded');
        }
        const done = await app.commandStatus(first.id);
        expect([done?.attempts, typeof done?.position]).toEqual([2, 'number']);
        for (const [counter, amount] of [
          ['c1', 1],
          ['c2', 2],
          ['c3', 3],
        ] as const) {
          const events = await app.store.events.readStream(streamId('counter', counter));
          expect(events.map((e) => e.data)).toEqual([{ counter, amount }]);
        }
      } finally {
        doomed.process.kill('SIGKILL');
        survivor?.process.kill('SIGKILL');
        await Promise.all([doomed.exited, survivor?.exited]);
        await app.close();
      }
    });
  });
}
