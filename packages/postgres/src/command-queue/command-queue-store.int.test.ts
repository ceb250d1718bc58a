import { commandQueueContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { postgres } from '../index.js';

const server = usePostgres();

commandQueueContract('PostgresCommandQueue', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { queue: db.commands, close: () => db.close() };
});

describe('PostgresCommandQueue', () => {
  it("wakes another node's subscribers with a NOTIFY when a command is enqueued", async () => {
    const schema = server.schema();
    const here = await server.database({ schema });
    const there = await server.database({ schema });
    let woken = 0;
    const unsubscribe = there.commands.subscribe(() => woken++);
    // Until the other node listens, a new command may slip by unnoticed: enqueue until one wakes it.
    await expect
      .poll(async () => {
        await here.commands.enqueue({
          id: crypto.randomUUID(),
          type: 'test.DoIt',
          data: {},
          envelope: {
            correlationId: 'c',
            causationId: undefined,
            principal: undefined,
            tenant: undefined,
            metadata: {},
            idempotencyKey: undefined,
          },
          key: undefined,
          priority: 0,
          runAt: Date.now(),
          enqueuedAt: Date.now(),
        });
        return woken;
      })
      .toBeGreaterThan(0);
    unsubscribe();
  });
});
