import type { EventFeed } from '../event-store/ports.js';
import type { RecordedEvent } from '../event-store/records.js';
import type { GlobalPosition } from '../positions/position.js';
import { nextTurn } from '../runtime/timers.js';

interface Read {
  readonly limit: number;
  readonly events: Promise<readonly RecordedEvent[]>;
}

// Reads kept for runners that come after the first: enough for runners a few batches apart, little memory.
const KEPT = 4;

/**
 * The reads of every runner (projection or subscriber) on one feed. A commit wakes all of them at once and they
 * then ask for the same events: the first runner's `readAll` is shared with the others instead of each reading
 * the log again. A wake-up also waits for the end of the event loop's turn, so the commits of requests handled
 * in the same turn are read, applied and checkpointed as one batch rather than one by one.
 */
export class SharedReads {
  static readonly #byFeed = new WeakMap<EventFeed, SharedReads>();

  /** The shared reads of `feed`, made on first use. */
  static of(feed: EventFeed): SharedReads {
    let reads = SharedReads.#byFeed.get(feed);
    if (reads === undefined) {
      reads = new SharedReads(feed);
      SharedReads.#byFeed.set(feed, reads);
    }
    return reads;
  }

  readonly #feed: EventFeed;
  readonly #reads = new Map<GlobalPosition, Read>();

  private constructor(feed: EventFeed) {
    this.#feed = feed;
  }

  /**
   * Up to `limit` events after `after`. A batch another runner read from the same position is reused: the log only
   * grows, so it is still a true (if maybe shorter) answer. An empty answer is never kept, so a runner that sees
   * one and waits reads the log again once woken.
   */
  readAll(after: GlobalPosition, limit: number): Promise<readonly RecordedEvent[]> {
    const kept = this.#reads.get(after);
    if (kept !== undefined && kept.limit >= limit) {
      return kept.limit === limit ? kept.events : kept.events.then((events) => events.slice(0, limit));
    }
    const read: Read = { limit, events: this.#feed.readAll(after, limit) };
    this.#reads.delete(after);
    this.#reads.set(after, read);
    if (this.#reads.size > KEPT) this.#reads.delete(this.#reads.keys().next().value!);
    read.events.then(
      (events) => {
        if (events.length === 0) this.#forget(after, read);
      },
      () => this.#forget(after, read),
    );
    return read.events;
  }

  /** Resolves once the log holds an event after `after`, and the turn that committed it has ended. */
  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    return this.#feed.waitForEvents(after, signal).then(nextTurn);
  }

  #forget(after: GlobalPosition, read: Read): void {
    if (this.#reads.get(after) === read) this.#reads.delete(after);
  }
}
