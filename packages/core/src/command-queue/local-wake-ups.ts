import type { QueueWakeUps } from './queue-dialect.js';

/**
 * Wake-ups within one process: `wake` calls every subscriber at once.
 *
 * @example
 * const wakeUps = new LocalWakeUps();
 * const stop = wakeUps.subscribe(() => signal.fire());
 */
export class LocalWakeUps implements QueueWakeUps {
  readonly #listeners = new Set<() => void>();

  wake(): void {
    for (const listener of this.#listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
