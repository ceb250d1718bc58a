import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract, stateStoreContract } from '@twofold/core/testing';
import { afterAll } from 'vitest';
import { SqliteStore } from '../index.js';

const dir = mkdtempSync(join(tmpdir(), 'twofold-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const onFile = ({ upcasters }: { upcasters: readonly import('@twofold/core').Upcaster[] }) => {
  const store = new SqliteStore({ path: join(dir, `store-${++files}.db`), upcasters });
  return { store, close: () => store.close() };
};

eventStoreContract('SqliteStore (file)', onFile);
stateStoreContract('SqliteStore (file)', onFile);
eventStoreContract('SqliteStore (:memory:)', ({ upcasters }) => {
  const store = new SqliteStore({ path: ':memory:', upcasters });
  return { store, close: () => store.close() };
});
