export { given, type Then } from './given-when-then.js';
export { eventStoreContract, type StoreFactory, stateStoreContract } from './store-contracts.js';
