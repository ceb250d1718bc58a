import { MemoryCommandQueue } from '../command-queue/memory.js';
import { MemoryDeadLetterStore } from '../dead-letters/memory.js';
import { processStoreContract } from '../testing/process-store-contract.js';
import { MemoryProcessStore } from './memory.js';

processStoreContract('MemoryProcessStore', () => {
  const commands = new MemoryCommandQueue();
  return { store: new MemoryProcessStore(commands), commands, deadLetters: new MemoryDeadLetterStore(), close() {} };
});
