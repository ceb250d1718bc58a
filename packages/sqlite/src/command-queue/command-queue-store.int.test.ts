import { commandQueueContract } from '@twofold/core/testing';
import { tempDir } from '../../tests/temp-dir.js';
import { sqlite } from '../index.js';

const temp = tempDir();

commandQueueContract('sqlite(…).commands', () => {
  const db = sqlite(temp.file('commands'));
  return { queue: db.commands, close: () => db.close() };
});
