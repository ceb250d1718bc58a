import { type GlobalPosition, isTwofoldError, type TwofoldError } from '@twofold/core';
import { Waiters } from '@twofold/core/adapters';
import type { Listener } from '../connection/listener.js';

interface WakeUpOptions {
  /** The last visible position. */
  readonly head: () => Promise<GlobalPosition>;
  /** The handle's LISTEN connection. */
  readonly listener: Pick<Listener, 'listen' | 'ensure'>;
  readonly channel: string;
  readonly pollIntervalMs: number;
  /** The error a reader gets once the store is closed. */
  readonly closed: () => TwofoldError;
}

// After a notification the new events may still be held back by an older transaction: look again soon, while the
// head is below the position the notification announced.
const RECHECK_MS = [1, 2, 4, 8, 16, 32, 64];

/**
 * The readers waiting for events after some position. Once one has waited, the handle's listener LISTENs on the
 * store's channel; a notification (from any node) or a commit here triggers one head check for all of them,
 * repeated at short intervals while the head is below the position the notification announced (a notification
 * without one is looked for at each of those intervals). Each time LISTEN takes effect (at first, and
 * after a dropped connection is opened again) the head is checked too: a commit announced before was not heard. A
 * poll every `pollIntervalMs` covers a lost notification or a dropped LISTEN connection, which is re-opened on the
 * next poll.
 */
export class WakeUps {
  readonly #waiters = new Waiters(() => {
    clearInterval(this.#poll);
    this.#poll = undefined;
    clearTimeout(this.#recheck);
  });
  readonly #options: WakeUpOptions;
  #unlisten: (() => void) | undefined;
  #poll: NodeJS.Timeout | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #checking = false;
  #again = false;
  #closed = false;
  // The highest head seen, and the highest position notifications announced (infinite for one that named none):
  // the rechecks after a notification go on while the first is below the second.
  #seen = 0;
  #announced = 0;
  // The readers still waiting for their first head read, failed at once on close: they must not wait for a pool
  // that is ending. Each leaves the set when its read is answered, so the set holds only the reads in flight.
  readonly #reading = new Set<(reason: TwofoldError) => void>();

  constructor(options: WakeUpOptions) {
    this.#options = options;
  }

  async wait(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    if (this.#closed) throw this.#options.closed();
    const head = await this.#head();
    if (head !== undefined && head > after) return;
    if (this.#closed) throw this.#options.closed();
    const waiting = this.#waiters.add(after, signal);
    if (this.#waiters.size === 0) return waiting;
    this.#ensureListening();
    this.#poll ??= setInterval(() => {
      this.#ensureListening();
      this.check();
    }, this.#options.pollIntervalMs).unref();
    // A commit between the head read above and LISTEN would otherwise wait for the next poll.
    this.check();
    return waiting;
  }

  // The head, or undefined while the database is unreachable (the reader then waits, and the poll retries, rather
  // than fail: it is woken when the database is back); rejected at once if the store closes first.
  #head(): Promise<GlobalPosition | undefined> {
    return new Promise((resolve, reject) => {
      this.#reading.add(reject);
      this.#options
        .head()
        .then(resolve, (error: unknown) => {
          if (isTwofoldError(error, 'UNAVAILABLE')) resolve(undefined);
          else reject(error);
        })
        .finally(() => this.#reading.delete(reject));
    });
  }

  /** Looks at the head now and wakes every reader it has passed; looks again shortly if one is still waiting. */
  check(attempt = 0): void {
    if (this.#waiters.size === 0) return;
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = true;
    this.#options
      .head()
      .then(
        (head) => {
          this.#seen = Math.max(this.#seen, head);
          this.#waiters.wake(head);
        },
        () => {
          // The database is unreachable: the poll tries again, and readers keep waiting until their signal aborts.
        },
      )
      .finally(() => {
        this.#checking = false;
        if (this.#again) {
          // A call that came meanwhile: look again, and on while an announced position is not visible yet.
          this.#again = false;
          this.check(1);
        } else if (
          this.#waiters.size > 0 &&
          attempt < RECHECK_MS.length &&
          attempt > 0 &&
          this.#seen < this.#announced
        ) {
          clearTimeout(this.#recheck);
          this.#recheck = setTimeout(() => this.check(attempt + 1), RECHECK_MS[attempt]).unref();
        } else if (attempt > 0 && !Number.isFinite(this.#announced)) {
          this.#announced = this.#seen;
        }
      });
  }

  #notified(payload: string): void {
    const announced = /^\d{1,15}$/.test(payload) ? Number(payload) : Number.POSITIVE_INFINITY;
    this.#announced = Math.max(this.#announced, announced);
    clearTimeout(this.#recheck);
    this.check(1);
  }

  #ensureListening(): void {
    if (this.#closed) return;
    if (this.#unlisten === undefined)
      this.#unlisten = this.#options.listener.listen(
        this.#options.channel,
        (payload) => this.#notified(payload),
        // A commit announced before LISTEN took effect went unheard: look at the head once it has.
        () => this.check(),
      );
    else this.#options.listener.ensure();
  }

  /** Rejects every waiting reader and stops listening: the store is closing. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const reject of this.#reading) reject(this.#options.closed());
    this.#reading.clear();
    this.#waiters.rejectAll(this.#options.closed());
    clearInterval(this.#poll);
    clearTimeout(this.#recheck);
    this.#unlisten?.();
    this.#unlisten = undefined;
  }
}
