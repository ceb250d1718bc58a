import { inboxStoreContract } from '../testing/inbox-store-contract.js';
import { MemoryInbox } from './memory.js';

inboxStoreContract('MemoryInbox', () => {
  const written: string[] = [];
  return {
    inbox: new MemoryInbox(),
    effects: { write: (_tx, value) => void written.push(value), read: async () => [...written] },
    rollsBack: false,
    close() {},
  };
});
