export {
  type CommandQueueFactory,
  type CommandQueueUnderTest,
  commandQueueContract,
} from './command-queue-contract.js';
export {
  type DocumentStoreFactory,
  type DocumentStoreUnderTest,
  documentStoreContract,
} from './document-store-contract.js';
export { eventStoreContract } from './event-store-contract.js';
export { given, type Then, type When } from './given-when-then.js';
export { type InboxStoreFactory, type InboxStoreUnderTest, inboxStoreContract } from './inbox-store-contract.js';
export {
  type OutboxStoreFactory,
  type OutboxStoreUnderTest,
  outboxStoreContract,
} from './outbox-store-contract.js';
export type {
  ProcessExpectation,
  ProcessSpecStep,
  ProcessThen,
  ProcessWhen,
} from './process-given-when-then.js';
export {
  type ProcessStoreFactory,
  type ProcessStoreUnderTest,
  processStoreContract,
} from './process-store-contract.js';
export { queuedCommand } from './queued-command.js';
export { stateStoreContract } from './state-store-contract.js';
export type { StoreFactory } from './store-factory.js';
export {
  type SubscriptionStorage,
  type SubscriptionStores,
  type SubscriptionStoresFactory,
  subscriptionStoresContract,
} from './subscription-stores-contract.js';
export {
  type ContractTableName,
  type TableStoreFactory,
  type TableStoreHarness,
  type TableStoreUnderTest,
  tableStoreContract,
} from './table-store-contract.js';
export {
  type TransactionalEnqueueFactory,
  type TransactionalEnqueueUnderTest,
  transactionalEnqueueContract,
} from './transactional-enqueue-contract.js';
