import { MemoryDeadLetterStore } from '../dead-letters/memory.js';
import { subscriptionStoresContract } from '../testing/subscription-stores-contract.js';
import { MemoryCheckpointStore } from './memory.js';

// Memory keeps nothing past its objects: every handle on the same storage is the same two stores.
subscriptionStoresContract('MemoryCheckpointStore and MemoryDeadLetterStore', () => {
  const checkpoints = new MemoryCheckpointStore();
  const deadLetters = new MemoryDeadLetterStore();
  return { open: () => ({ checkpoints, deadLetters, close: () => {} }) };
});
