import type { DeadLetter, DeadLetterStore } from './ports.js';

/** Dead letters kept in memory: for tests; use a durable store in production. */
export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly #letters = new Map<string, DeadLetter>();

  async add(letter: DeadLetter): Promise<void> {
    this.#letters.set(letter.id, structuredClone(letter));
  }

  async list(subscriber?: string): Promise<readonly DeadLetter[]> {
    return [...this.#letters.values()]
      .filter((letter) => subscriber === undefined || letter.subscriber === subscriber)
      .sort((a, b) => a.at - b.at || a.event.position - b.event.position);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    return this.#letters.get(id);
  }

  async remove(id: string): Promise<void> {
    this.#letters.delete(id);
  }
}
