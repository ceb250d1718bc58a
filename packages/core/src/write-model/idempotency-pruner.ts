import type { IdempotencyStore } from '../event-store/ports.js';
import type { Logger } from '../runtime/logger.js';

/** Records deleted per statement: small enough that one batch never holds a commit up for long. */
const BATCH = 1_000;
/** The longest time between two prunes of a busy store. */
const MOST_EVERY_MS = 60_000;

/**
 * Deletes idempotency records older than the retention: in batches, at most once per minute (or per retention,
 * when that is shorter), after a commit and beside it rather than in its way. Every process that writes to the
 * store prunes it; a batch that finds nothing left to delete costs one indexed lookup.
 */
export class IdempotencyPruner {
  readonly #store: IdempotencyStore;
  readonly #retentionMs: number;
  readonly #everyMs: number;
  #due = 0;
  #running = false;
  /** A prune came due while one was still running: run it once that one is done. */
  #again = false;

  constructor(store: IdempotencyStore, retentionMs: number) {
    this.#store = store;
    this.#retentionMs = retentionMs;
    this.#everyMs = Math.min(retentionMs, MOST_EVERY_MS);
  }

  /** Called after each commit that stored an idempotency record: starts a prune when one is due. */
  committed(logger: Logger): void {
    const now = Date.now();
    if (now < this.#due) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#due = now + this.#everyMs;
    this.#prune(now - this.#retentionMs)
      .catch((error: unknown) => {
        // The records are pruned next time; nothing depends on their being gone now.
        logger.warn({ err: error }, 'Old idempotency records not pruned');
      })
      .finally(() => {
        this.#running = false;
        if (!this.#again) return;
        this.#again = false;
        this.committed(logger);
      });
  }

  async #prune(before: number): Promise<void> {
    while ((await this.#store.pruneIdempotency(before, BATCH)) === BATCH) {
      // SQLite deletes synchronously: let other work run between batches.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
