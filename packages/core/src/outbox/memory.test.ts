import { MemoryStore } from '../event-store/memory-store.js';
import { outboxStoreContract } from '../testing/outbox-store-contract.js';
import { MemoryOutbox } from './memory.js';

outboxStoreContract('MemoryOutbox', () => ({ outbox: new MemoryOutbox(), store: new MemoryStore(), close() {} }));
