import { commandQueueContract, queuedCommand, transactionalEnqueueContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../tests/temp-dir.js';
import { sqlite } from '../index.js';

const temp = tempDir();

commandQueueContract('sqlite(…).commands', () => {
  const db = sqlite(temp.file('commands'));
  return { queue: db.commands, close: () => db.close() };
});

transactionalEnqueueContract('sqlite(…).commands', () => {
  const db = sqlite(temp.file('commands-in'));
  return { events: db.events, commands: db.commands, close: () => db.close() };
});

describe('SqliteCommandQueue.enqueueIn', () => {
  const command = queuedCommand('c1');

  it("refuses another handle's connection, and a connection with no open transaction", async () => {
    const db = sqlite(temp.file('refusals'));
    const other = sqlite(temp.file('refusals-other'));
    try {
      expect(() => other.connection.transaction(() => db.commands.enqueueIn(other.connection, command))()).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('not on') }),
      );
      expect(() => db.commands.enqueueIn(db.connection, command)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('no transaction') }),
      );
      expect(await db.commands.get('c1')).toBeUndefined();
      expect(await other.commands.get('c1')).toBeUndefined();
    } finally {
      await db.close();
      await other.close();
    }
  });

  it("commits with the application's own table in a transaction on the handle's connection", async () => {
    const db = sqlite(temp.file('own-table'));
    try {
      db.connection.exec('CREATE TABLE shipments (id TEXT PRIMARY KEY)');
      const ship = (fail: boolean) =>
        db.connection.transaction(() => {
          db.connection.prepare('INSERT INTO shipments (id) VALUES (?)').run('s1');
          db.commands.enqueueIn(db.connection, command);
          if (fail) throw new Error('rolled back');
        })();
      expect(() => ship(true)).toThrow('rolled back');
      expect([await db.commands.get('c1'), db.connection.prepare('SELECT id FROM shipments').all()]).toEqual([
        undefined,
        [],
      ]);
      ship(false);
      expect((await db.commands.get('c1'))?.status).toBe('queued');
      expect(db.connection.prepare('SELECT id FROM shipments').all()).toEqual([{ id: 's1' }]);
    } finally {
      await db.close();
    }
  });
});
