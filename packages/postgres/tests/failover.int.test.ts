import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NewEvent, streamId } from '@twofold/core';
import { type Child, runTypeScript } from '@twofold/test-servers';
import { afterEach, describe, expect, it } from 'vitest';
import { postgres } from '../src/index.js';
import { usePostgres } from './server.js';

const server = usePostgres();
const here = dirname(fileURLToPath(import.meta.url));
const children: Child[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.process.kill('SIGKILL');
});

const ticks = (from: number, count: number): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'test.Ticked', data: { n: from + i } }));

describe('several nodes on one PostgreSQL', () => {
  it('run a projection on exactly one node at a time, and another takes over within seconds of a SIGKILL', async () => {
    const schema = server.schema();
    const db = await postgres({ connection: server.url, schema });
    const { events: store, documents: views } = db;
    try {
      let written = 0;
      const write = async (count: number) => {
        for (let i = 0; i < count; i += 10) {
          await store.append(streamId('clock', written % 7), ticks(written, 10));
          written += 10;
        }
      };
      await write(200);
      const nodes = ['a', 'b', 'c'].map((node) =>
        runTypeScript(join(here, 'fixtures', 'projection-node.ts'), [server.url, schema, node]),
      );
      children.push(...nodes);
      await Promise.all(nodes.map((child) => child.until((line) => line.startsWith('ready'))));
      const leaders = () => nodes.filter((child) => child.lines.some((line) => line.startsWith('leader')));
      await expect.poll(() => leaders().length, { timeout: 10_000 }).toBe(1);
      const first = leaders()[0]!;

      const counter = () => views.read('counted').collection<{ count: number }>('counter').get('all');
      await views.activate({ projection: 'counted', version: 1 });
      await expect.poll(async () => (await counter())?.count, { timeout: 10_000 }).toBe(200);
      // Keep writing while the leader dies.
      const writing = write(300);
      first.process.kill('SIGKILL');
      const killedAt = Date.now();
      await first.exited;
      await expect.poll(() => leaders().length, { timeout: 10_000, interval: 20 }).toBe(2);
      const takeoverMs = Date.now() - killedAt;
      await writing;

      await expect.poll(async () => (await counter())?.count, { timeout: 15_000 }).toBe(500);
      const seen = views.read('counted').collection<{ n: number; node: string }>('seen');
      expect(await seen.count()).toBe(500);
      const bySurvivor = await seen.count({ node: leaders()[1]!.lines[0]!.slice('ready '.length) });
      expect(bySurvivor).toBeGreaterThan(0);
      // Still one leader among the survivors.
      expect(nodes.filter((child) => child !== first && leaders().includes(child))).toHaveLength(1);
      console.info(`failover: the lease moved ${takeoverMs} ms after the leader was killed; 500 events applied once`);
    } finally {
      await db.close();
    }
  }, 60_000);
});
