import type { SchemaPool } from '../connection/schema-pool.js';

const NOTIFY_GAP_MS = 2;

/**
 * Tells the other nodes that there are new events, after the commit rather than inside it: a transaction that
 * notifies holds a database-wide lock from the start of its commit to its end, a writing transaction's flush
 * included, which would line every commit up behind the one before. A transaction that only notifies writes
 * nothing to the log and its commit is not flushed: sent on its own, a notification costs a round trip, not a sync
 * (counted in bench/queue/README.md). Commits that come while a notification is on its way share the next one, sent
 * at least NOTIFY_GAP_MS after it. The payload is the highest position announced so far (empty when no call gave
 * one), so that a listener knows which events to look for. A lost notification costs a reader one poll interval,
 * never an event.
 */
export class Notifier {
  readonly #db: SchemaPool;
  /** The channel it notifies on. */
  readonly channel: string;
  #sending = false;
  #again = false;
  #announced: number | undefined;

  constructor(db: SchemaPool, channel: string) {
    this.#db = db;
    this.channel = channel;
  }

  /**
   * Sends a notification on the channel, or has the one on its way followed by another; `position`, the last one a
   * commit wrote, goes in its payload.
   */
  notify(position?: number): void {
    if (position !== undefined) this.#announced = Math.max(this.#announced ?? 0, position);
    if (this.#sending) {
      this.#again = true;
      return;
    }
    this.#sending = true;
    this.#db
      .query('SELECT pg_notify($1, $2)', [this.channel, this.#announced === undefined ? '' : String(this.#announced)])
      .catch(() => {})
      .finally(() => {
        if (!this.#again) {
          this.#sending = false;
          return;
        }
        // Under load, one notification per NOTIFY_GAP_MS carries every commit made meanwhile.
        setTimeout(() => {
          this.#sending = false;
          this.#again = false;
          this.notify();
        }, NOTIFY_GAP_MS).unref();
      });
  }
}
