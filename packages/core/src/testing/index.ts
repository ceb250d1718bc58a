export { MemoryEventLog } from './memory-log.js';
