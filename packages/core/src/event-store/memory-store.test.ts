import { eventStoreContract } from '../testing/event-store-contract.js';
import { stateStoreContract } from '../testing/state-store-contract.js';
import { MemoryStore } from './memory-store.js';

eventStoreContract('memory', ({ upcasters }) => ({ store: new MemoryStore({ upcasters }) }));
stateStoreContract('memory', ({ upcasters }) => ({ store: new MemoryStore({ upcasters }) }));
