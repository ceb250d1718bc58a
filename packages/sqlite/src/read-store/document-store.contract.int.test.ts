import { documentStoreContract } from '@twofold/core/testing';
import { sqlite } from '../index.js';

documentStoreContract('sqlite', () => {
  const db = sqlite(':memory:');
  return { store: db.documents, close: () => db.close() };
});
