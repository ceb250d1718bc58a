import { documentStoreContract } from '../testing/document-store-contract.js';
import { MemoryDocumentStore } from './memory-store.js';

documentStoreContract('memory', () => ({ store: new MemoryDocumentStore() }));
