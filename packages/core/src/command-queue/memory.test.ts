import { describe, expect, it } from 'vitest';
import { memory } from '../database/memory.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { commandQueueContract } from '../testing/command-queue-contract.js';
import { queuedCommand } from '../testing/queued-command.js';
import { transactionalEnqueueContract } from '../testing/transactional-enqueue-contract.js';
import { MemoryCommandQueue } from './memory.js';

commandQueueContract('MemoryCommandQueue', () => ({ queue: new MemoryCommandQueue(), close() {} }));

transactionalEnqueueContract('memory().commands', () => {
  const db = memory();
  return { events: db.events, commands: db.commands, close: () => db.close() };
});

describe('MemoryCommandQueue.enqueueIn', () => {
  it("refuses another store's commit and anything that is not a commit, and stores nothing", async () => {
    const db = memory();
    const other = new MemoryStore();
    const refused = other.commit({ participants: [(tx) => void db.commands.enqueueIn(tx, queuedCommand('c1'))] });
    await expect(refused).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('another MemoryStore') }),
    );
    expect(() => db.commands.enqueueIn({} as never, queuedCommand('c2'))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('MemoryStore commit') }),
    );
    expect(await db.commands.get('c1')).toBeUndefined();
    expect(await db.commands.get('c2')).toBeUndefined();
  });

  it('stores one id enqueued twice in one commit once, and gives back the first', async () => {
    const db = memory();
    const returned: unknown[] = [];
    await db.events.commit({
      participants: [
        (tx) => {
          returned.push(db.commands.enqueueIn(tx, queuedCommand('c1', { priority: 1 })));
          returned.push(db.commands.enqueueIn(tx, queuedCommand('c1', { priority: 2 })));
        },
      ],
    });
    expect(returned[1]).toBe(returned[0]);
    expect(await db.commands.get('c1')).toMatchObject({ priority: 1 });
  });
});
