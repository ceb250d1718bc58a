import { inboxStoreContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../tests/temp-dir.js';
import { type SqliteConnection, sqlite } from '../index.js';

const temp = tempDir();

function effectsTable(db: SqliteConnection) {
  db.exec('CREATE TABLE IF NOT EXISTS effects (n INTEGER PRIMARY KEY, value TEXT NOT NULL)');
  return {
    write: (tx: SqliteConnection, value: string) =>
      void tx.prepare('INSERT INTO effects (value) VALUES (?)').run(value),
    read: async () => db.prepare<[], string>('SELECT value FROM effects ORDER BY n').pluck().all(),
  };
}

inboxStoreContract('SqliteInbox', () => {
  const db = sqlite(temp.file('contract'));
  return { inbox: db.inbox, effects: effectsTable(db.connection), rollsBack: true, close: () => db.close() };
});

describe('SqliteInbox', () => {
  it('refuses an effect that returns a promise, keeping neither its writes nor the mark', async () => {
    const db = sqlite(temp.file('async'));
    const effects = effectsTable(db.connection);
    const receiving = db.inbox.receive('billing', 'm1', async (tx) => effects.write(tx, 'async'));
    await expect(receiving).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(receiving).rejects.toThrow(/message m1 in the inbox of billing returned a promise/);
    expect(await db.inbox.received('billing', 'm1')).toBe(false);
    expect(await effects.read()).toEqual([]);
    await db.close();
  });

  it('keeps what it received across handles on the file', async () => {
    const path = temp.file('reopen');
    const first = sqlite(path);
    await first.inbox.receive('billing', 'm1', () => {});
    await first.close();
    const again = sqlite(path);
    expect(await again.inbox.received('billing', 'm1')).toBe(true);
    expect(await again.inbox.receive('billing', 'm1', () => {})).toBe(false);
    await again.close();
  });
});
