import { checkOutboxMessage } from '../adapters/outbox.js';
import { InvalidArgumentError } from '../errors/errors.js';
import type { NewOutboxMessage, OutboxMessage, OutboxStore } from './ports.js';

interface Entry {
  message: OutboxMessage;
  dueAt: number;
  claimedUntil: number;
  parked: boolean;
}

/**
 * An in-memory outbox, for tests and single-process apps on the in-memory write store. Its writes are not part of
 * any transaction: a commit that fails after its participants ran can leave messages behind.
 */
export class MemoryOutbox implements OutboxStore<unknown> {
  readonly #entries = new Map<string, Entry>();

  enqueue(_tx: unknown, messages: readonly NewOutboxMessage[]): void {
    const now = Date.now();
    for (const message of messages) {
      const id = checkOutboxMessage(message);
      if (this.#entries.has(id)) throw new InvalidArgumentError(`Outbox message ${id} exists`);
      this.#entries.set(id, {
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
