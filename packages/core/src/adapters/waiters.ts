import type { GlobalPosition } from '../positions/position.js';

interface Waiter {
  readonly after: GlobalPosition;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * The readers waiting for events after some position, for an event store's `waitForEvents`: each waits until
 * `wake` reports a head past its position, its signal aborts, or `rejectAll` ends every wait. The store decides
 * when to look at the head; `onEmpty` tells it when nobody waits any more (to stop its timers).
 *
 * @example
 * const waiters = new Waiters(() => clearInterval(timer));
 * waiters.add(after, signal); // a promise
 * waiters.wake(await head());
 */
export class Waiters {
  readonly #waiters = new Set<Waiter>();
  readonly #onEmpty: () => void;

  constructor(onEmpty: () => void = () => {}) {
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#waiters.size;
  }

  /** Waits until a head past `after` is reported; rejects with the signal's reason when it aborts. */
  add(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        after,
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#remove(waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Resolves every wait for a position below `head`. */
  wake(head: GlobalPosition): void {
    for (const waiter of this.#waiters) {
      if (waiter.after < head) {
        this.#remove(waiter);
        waiter.resolve();
      }
    }
  }

  /** Rejects every wait with `reason` (the store is closing, or can no longer tell). */
  rejectAll(reason: unknown): void {
    for (const waiter of this.#waiters) {
      this.#remove(waiter);
      waiter.reject(reason);
    }
  }

  #remove(waiter: Waiter): void {
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    this.#waiters.delete(waiter);
    if (this.#waiters.size === 0) this.#onEmpty();
  }
}
