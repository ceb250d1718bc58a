import { documentStoreContract } from '@twofold/core/testing';
import { SqliteDocumentStore } from './document-store.js';

documentStoreContract('sqlite', () => {
  const store = new SqliteDocumentStore({ path: ':memory:' });
  return { store, close: () => store.close() };
});
