import { eventStoreContract, stateStoreContract } from '../testing/store-contracts.js';
import { MemoryStore } from './memory-store.js';

eventStoreContract('memory', ({ upcasters }) => ({ store: new MemoryStore({ upcasters }) }));
stateStoreContract('memory', ({ upcasters }) => ({ store: new MemoryStore({ upcasters }) }));
