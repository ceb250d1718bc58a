import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { streamId } from '@twofold/core';
import { runTypeScript } from '@twofold/test-servers';
import { describe, expect, it } from 'vitest';
import { Add, counterApp } from './fixtures/queue-app.js';
import { usePostgres } from './server.js';

const server = usePostgres();
const here = dirname(fileURLToPath(import.meta.url));
const worker = (schema: string, mode: string) =>
  runTypeScript(join(here, 'fixtures', 'queue-worker.ts'), [server.url, schema, mode]);

describe('a queue worker killed with SIGKILL mid-command', () => {
  it('loses nothing: another node runs the command again once its lease ends, and its effect stays single', async () => {
    const schema = server.schema();
    const app = await counterApp(server.url, schema);
    await app.start();
    const doomed = worker(schema, 'stall');
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

      // The survivor runs the new commands, and the first one again once its lease ends: its
      // write model answers from the idempotency record the first run committed, and appends nothing.
      survivor = worker(schema, 'run');
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
      expect((await app.commandStatus(first.id))?.attempts).toBe(2);
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
