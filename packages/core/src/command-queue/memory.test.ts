import { commandQueueContract } from '../testing/command-queue-contract.js';
import { MemoryCommandQueue } from './memory.js';

commandQueueContract('MemoryCommandQueue', () => ({ queue: new MemoryCommandQueue(), close() {} }));
