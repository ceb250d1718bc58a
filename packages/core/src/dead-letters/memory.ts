import { checkDeadLetterList, compareDeadLetters } from './order.js';
import type { DeadLetter, DeadLetterPage, DeadLetterStore } from './ports.js';

/** Dead letters kept in memory: for tests; use a durable store in production. */
export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly #letters = new Map<string, DeadLetter>();

  async add(letter: DeadLetter): Promise<void> {
    this.#letters.set(letter.id, structuredClone(letter));
  }

  async list(subscriber?: string, page?: DeadLetterPage): Promise<readonly DeadLetter[]> {
    checkDeadLetterList(subscriber, page);
    const after = page?.after;
    return [...this.#letters.values()]
      .filter((letter) => subscriber === undefined || letter.subscriber === subscriber)
      .filter((letter) => after === undefined || compareDeadLetters(letter, after) > 0)
      .sort(compareDeadLetters)
      .slice(0, page?.limit);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    return this.#letters.get(id);
  }

  async remove(id: string): Promise<void> {
    this.#letters.delete(id);
  }
}
