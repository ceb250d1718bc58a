import type { GlobalPosition } from '@twofold/core';

interface Waiter {
  readonly after: GlobalPosition;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/**
 * The readers waiting for events after some position. A commit in this process wakes them at once; while any
 * wait, a timer also asks SQLite whether another connection changed the file (`PRAGMA data_version`, which
 * reads no table) and, only then, reads the head.
 */
export class WakeUps {
  readonly #waiters = new Set<Waiter>();
  readonly #head: () => GlobalPosition;
  readonly #changed: () => boolean;
  readonly #pollIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { head: () => GlobalPosition; changed: () => boolean; pollIntervalMs: number }) {
    this.#head = options.head;
    this.#changed = options.changed;
    this.#pollIntervalMs = options.pollIntervalMs;
  }

  wait(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    if (this.#head() > after) return Promise.resolve();
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
      this.#timer ??= setInterval(() => this.#poll(), this.#pollIntervalMs).unref();
    });
  }

  /** Wakes every reader waiting for a position below `head`. */
  wake(head: GlobalPosition): void {
    for (const waiter of this.#waiters) {
      if (waiter.after < head) {
        this.#remove(waiter);
        waiter.resolve();
      }
    }
  }

  /** Rejects every waiting reader: the store is closing. */
  close(reason: Error): void {
    for (const waiter of this.#waiters) {
      this.#remove(waiter);
      waiter.reject(reason);
    }
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #poll(): void {
    try {
      if (this.#changed()) this.wake(this.#head());
    } catch (error) {
      // A failing read (the file gone, a closed connection) must not be swallowed by a timer: the readers see it.
      for (const waiter of this.#waiters) {
        this.#remove(waiter);
        waiter.reject(error);
      }
    }
  }

  #remove(waiter: Waiter): void {
    waiter.signal.removeEventListener('abort', waiter.onAbort);
    this.#waiters.delete(waiter);
    if (this.#waiters.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
