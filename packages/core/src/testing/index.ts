export {
  type DocumentStoreFactory,
  type DocumentStoreUnderTest,
  documentStoreContract,
} from './document-store-contract.js';
export { given, type Then } from './given-when-then.js';
export { eventStoreContract, type StoreFactory, stateStoreContract } from './store-contracts.js';
export {
  type SubscriptionStorage,
  type SubscriptionStores,
  type SubscriptionStoresFactory,
  subscriptionStoresContract,
} from './subscription-stores-contract.js';
