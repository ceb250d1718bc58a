import type { GlobalPosition } from './position.js';

interface Waiter {
  readonly after: GlobalPosition;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * Everyone waiting for the log (or a read model) to pass some position: each wait ends when `wake` reports a head
 * past its position, when its signal aborts, or when `rejectAll`/`rejectEach` ends every wait. The one mechanism
 * behind an event store's `waitForEvents` (the store decides when to look at its head; `onEmpty` tells it when
 * nobody waits any more, to stop its timers) and behind `PositionTracker.waitFor`.
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

  /** How many wait now. */
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
    this.rejectEach(() => reason);
  }

  /** Rejects every wait with the reason `reasonFor` gives for its position. */
  rejectEach(reasonFor: (after: GlobalPosition) => unknown): void {
    for (const waiter of this.#waiters) {
      this.#remove(waiter);
      waiter.reject(reasonFor(waiter.after));
    }
  }

  #remove(waiter: Waiter): void {
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    this.#waiters.delete(waiter);
    if (this.#waiters.size === 0) this.#onEmpty();
  }
}
