import { InvalidArgumentError } from '../errors/errors.js';
import { defersToCommit } from '../event-store/memory-store.js';
import { checkOutboxMessage } from './checks.js';
import type { NewOutboxMessage, OutboxMessage, OutboxStore } from './ports.js';

interface Entry {
  message: OutboxMessage;
  dueAt: number;
  claimedUntil: number;
  parked: boolean;
}

/**
 * An in-memory outbox, for tests and single-process apps on the in-memory write store. Inside a `MemoryStore`
 * commit its messages are added only once the whole commit has succeeded, so a commit that fails leaves none
 * behind; inside another store's transaction they are added at once.
 */
export class MemoryOutbox implements OutboxStore<unknown> {
  readonly #entries = new Map<string, Entry>();

  enqueue(tx: unknown, messages: readonly NewOutboxMessage[]): void {
    const now = Date.now();
    const staged = new Map<string, Entry>();
    for (const message of messages) {
      const id = checkOutboxMessage(message);
      if (this.#entries.has(id) || staged.has(id)) throw new InvalidArgumentError(`Outbox message ${id} exists`);
      staged.set(id, {
        message: {
          id,
          topic: message.topic,
          payload: structuredClone(message.payload),
          headers: { ...message.headers },
          createdAt: now,
          attempts: 0,
          lastError: undefined,
        },
        dueAt: now,
        claimedUntil: 0,
        parked: false,
      });
    }
    const add = () => {
      for (const [id, entry] of staged) this.#entries.set(id, entry);
    };
    if (defersToCommit(tx)) tx.onCommit(add);
    else add();
  }

  async claim(limit: number, leaseMs: number): Promise<readonly OutboxMessage[]> {
    const now = Date.now();
    const claimed: OutboxMessage[] = [];
    for (const entry of this.#entries.values()) {
      if (claimed.length >= limit) break;
      if (entry.parked || entry.dueAt > now || entry.claimedUntil > now) continue;
      entry.claimedUntil = now + leaseMs;
      entry.message = { ...entry.message, attempts: entry.message.attempts + 1 };
      claimed.push(entry.message);
    }
    return claimed;
  }

  async complete(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#entries.delete(id);
  }

  async fail(id: string, error: string, retryAt: number | undefined): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    entry.message = { ...entry.message, lastError: error };
    entry.claimedUntil = 0;
    if (retryAt === undefined) entry.parked = true;
    else entry.dueAt = retryAt;
  }

  async parked(): Promise<readonly OutboxMessage[]> {
    return [...this.#entries.values()].filter((e) => e.parked).map((e) => e.message);
  }

  async retry(id: string): Promise<void> {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    entry.parked = false;
    entry.dueAt = Date.now();
  }
}
