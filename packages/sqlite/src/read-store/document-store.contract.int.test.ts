import { documentStoreContract } from '@twofold/core/testing';
import { tempDir } from '../../tests/temp-dir.js';
import { sqlite } from '../index.js';

documentStoreContract('sqlite', () => {
  const db = sqlite(':memory:');
  return { store: db.documents, close: () => db.close() };
});

// On a file, a batch reads the committed documents through a connection of its own (see batch-reads.ts).
const temp = tempDir();
documentStoreContract('sqlite file', () => {
  const db = sqlite(temp.file('contract'));
  return { store: db.documents, close: () => db.close() };
});
