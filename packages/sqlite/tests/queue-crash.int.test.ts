import { streamId } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { runFixture } from './child-process.js';
import { Add, counterApp } from './fixtures/queue-app.js';
import { tempDir } from './temp-dir.js';

const temp = tempDir();

describe('a queue worker killed with SIGKILL mid-command', () => {
  it('loses nothing: the command runs again in another process once its lease ends, and its effect stays single', async () => {
    const path = temp.file('queue-crash');
    const app = counterApp(path);
    await app.start();
    const first = await app.enqueue(Add, { counter: 'c1', amount: 1 });

    // The first worker commits the command's event, then dies before it can mark the command succeeded.
    const doomed = runFixture('queue-worker.ts', [path, 'stall']);
    await doomed.until((line) => line === `committed ${first.id} false`);
    doomed.process.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await app.commandStatus(first.id))?.status).toBe('running');

    const others = [
      await app.enqueue(Add, { counter: 'c2', amount: 2 }),
      await app.enqueue(Add, { counter: 'c3', amount: 3 }),
    ];
    const survivor = runFixture('queue-worker.ts', [path, 'run']);
    try {
      // Once the dead worker's lease ends, the survivor runs the command again: its write model answers from the
      // idempotency record the first run committed, and appends nothing.
      await survivor.until((line) => line === `committed ${first.id} true`);
      await survivor.until(() => others.every(({ id }) => survivor.lines.includes(`committed ${id} false`)));
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
      survivor.process.kill('SIGKILL');
      await survivor.exited;
      await app.close();
    }
  });
});
