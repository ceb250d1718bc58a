import { globalPosition, START } from '@twofold/core';
import { processStoreContract, queuedCommand } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../tests/temp-dir.js';
import { sqlite } from '../index.js';
import { PRUNE_CLOSED } from './process-store.js';

const temp = tempDir();

processStoreContract('sqlite(…).processes', () => {
  const db = sqlite(temp.file('processes'));
  return { store: db.processes, commands: db.commands, deadLetters: db.deadLetters, close: () => db.close() };
});

describe('SqliteProcessStore', () => {
  it('writes nothing of a commit whose command cannot be stored: instance, timers, checkpoint and commands are one transaction', async () => {
    const db = sqlite(temp.file('atomic'));
    try {
      db.connection.exec(`CREATE TRIGGER refuse BEFORE INSERT ON twofold_commands WHEN NEW.id = 'c2'
        BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
      const commit = (command: string) => ({
        manager: 'pm',
        correlation: 'b1',
        instance: { state: { n: 1 }, version: 1, closed: false, timers: { due: 5 } },
        commands: [queuedCommand('c1'), queuedCommand(command)],
        checkpoint: { from: START, to: globalPosition(7) },
      });
      await expect(db.processes.commit(commit('c2'))).rejects.toThrow('refused by the test');
      expect(await db.processes.instance('pm', 'b1')).toBeUndefined();
      expect(await db.processes.dueTimers('pm', 10, 10)).toEqual([]);
      expect(await db.processes.checkpoint('pm')).toBe(START);
      expect(await db.commands.get('c1')).toBeUndefined();
      expect(await db.processes.commit(commit('c3'))).toBe(true);
      expect(await db.processes.instance('pm', 'b1')).toMatchObject({ version: 1, timers: { due: 5 } });
      expect((await db.commands.get('c1'))?.status).toBe('queued');
    } finally {
      await db.close();
    }
  });

  it('finds the closed instances to prune through the index of closed instances, not among the open ones', async () => {
    const db = sqlite(temp.file('prune-plan'));
    try {
      const plan = db.connection
        .prepare<[string, string, number, number], { detail: string }>(`EXPLAIN QUERY PLAN ${PRUNE_CLOSED}`)
        .all('pm', 'pm', Date.now(), 100)
        .map((step) => step.detail);
      expect(plan.some((step) => /USING (COVERING )?INDEX twofold_process_instances_closed /.test(step))).toBe(true);
      expect(plan.filter((step) => step.startsWith('SCAN'))).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
