import { streamId } from '@twofold/core';
import { commandQueueContract, queuedCommand, transactionalEnqueueContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { postgres } from '../index.js';

const server = usePostgres();

commandQueueContract('PostgresCommandQueue', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { queue: db.commands, close: () => db.close() };
});

transactionalEnqueueContract('PostgresCommandQueue', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { events: db.events, commands: db.commands, close: () => db.close() };
});

describe('PostgresCommandQueue', () => {
  it('refuses a client that is not in one of its own transactions, and stores nothing', async () => {
    const db = await server.database();
    const other = await server.database();
    const command = queuedCommand(crypto.randomUUID());
    let refused: unknown;
    await other.events.commit({
      participants: [
        async (tx) => {
          refused = await db.commands.enqueueIn(tx, command).catch((error: unknown) => error);
        },
      ],
    });
    expect(refused).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('not in a transaction'),
    });
    expect([await db.commands.get(command.id), await other.commands.get(command.id)]).toEqual([undefined, undefined]);
  });

  it("wakes another node's subscribers with a NOTIFY when a command is enqueued", async () => {
    const schema = server.schema();
    const here = await server.database({ schema });
    const there = await server.database({ schema });
    let woken = 0;
    const unsubscribe = there.commands.subscribe(() => woken++);
    // Until the other node listens, a new command may slip by unnoticed: enqueue until one wakes it.
    await expect
      .poll(async () => {
        await here.commands.enqueue(queuedCommand(crypto.randomUUID()));
        return woken;
      })
      .toBeGreaterThan(0);
    unsubscribe();
  });

  it("tells another node's status waits (onSettled, with no id) when events are committed here", async () => {
    const schema = server.schema();
    const here = await server.database({ schema });
    const there = await server.database({ schema });
    const heard: (string | undefined)[] = [];
    const stop = there.commands.onSettled((id) => heard.push(id));
    // Until the other node listens, a commit may slip by unnoticed: append until one is heard.
    await expect
      .poll(async () => {
        await here.events.append(streamId('order', crypto.randomUUID()), [{ type: 'test.Done', data: {} }]);
        return heard.length;
      })
      .toBeGreaterThan(0);
    stop();
    expect(new Set(heard)).toEqual(new Set([undefined]));
  });
});
