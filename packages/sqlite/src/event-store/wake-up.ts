import { type GlobalPosition, isTwofoldError, UnavailableError } from '@twofold/core';
import { Waiters } from '@twofold/core/adapters';

/**
 * The readers waiting for events after some position. A commit in this process wakes them at once; while any
 * wait, a timer also asks SQLite whether another connection changed the file (`PRAGMA data_version`, which
 * reads no table) and, only then, reads the head.
 */
export class WakeUps {
  readonly #waiters = new Waiters(() => {
    clearInterval(this.#timer);
    this.#timer = undefined;
  });
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
    const waiting = this.#waiters.add(after, signal);
    if (this.#waiters.size > 0) this.#timer ??= setInterval(() => this.#poll(), this.#pollIntervalMs).unref();
    return waiting;
  }

  /** Wakes every reader waiting for a position below `head`. */
  wake(head: GlobalPosition): void {
    this.#waiters.wake(head);
  }

  /** Rejects every waiting reader: the store is closing. */
  close(reason: Error): void {
    this.#waiters.rejectAll(reason);
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #poll(): void {
    try {
      if (this.#changed()) this.wake(this.#head());
    } catch (error) {
      // A failing read (the file gone, a closed connection) must not be swallowed by a timer: the readers see it.
      const reason = error instanceof Error ? error.message : String(error);
      this.#waiters.rejectAll(
        isTwofoldError(error) ? error : new UnavailableError(`SQLite could not be read: ${reason}`, { cause: error }),
      );
    }
  }
}
