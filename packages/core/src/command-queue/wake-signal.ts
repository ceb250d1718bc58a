import { type Timer, unrefTimer } from '../runtime/timers.js';

/**
 * What a worker waits on between claims: a wake-up (from the store, a finished command, or a retry falling due) or
 * the poll interval, whichever comes first. A wake-up while nobody waits is kept for the next wait, so none is lost.
 */
export class WakeSignal {
  #pending = false;
  #resolve: (() => void) | undefined;
  readonly #timers = new Set<Timer>();

  /** Wakes the current wait, or the next one. */
  fire(): void {
    if (this.#resolve === undefined) this.#pending = true;
    else this.#resolve();
  }

  /** Fires at `time` (ms since the epoch). */
  at(time: number): void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        this.fire();
      },
      Math.max(0, time - Date.now()),
    );
    unrefTimer(timer);
    this.#timers.add(timer);
  }

  /** Resolves at the next wake-up, or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#resolve = undefined;
        resolve();
      }
      this.#resolve = done;
    });
  }

  /** Clears the timers set by {@link WakeSignal.at}. */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
