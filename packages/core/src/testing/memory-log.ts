import type { EventDefinition, InputOf } from '../messages/define.js';
import type { GlobalPosition } from '../positions/position.js';
import type { EventFeed } from '../projections/ports.js';
import type { ProjectedEvent } from '../projections/projection.js';

/**
 * A gap-free event log in memory with wake-ups: the smallest real {@link EventFeed}, for testing projections
 * and subscribers without a database.
 *
 * @example
 * const log = new MemoryEventLog();
 * log.append(RoomBooked, { bookingId: 'b1', roomId: '101' });
 * await new ProjectionRunner({ projection: bookings, store, feed: log }).catchUp();
 */
export class MemoryEventLog implements EventFeed {
  readonly events: ProjectedEvent[] = [];
  #waiters: (() => void)[] = [];

  /** Appends one event to stream `streamId` (default: one stream per log) and returns its position. */
  append<D extends EventDefinition>(event: D, data: InputOf<D>, streamId = 'stream'): GlobalPosition {
    const position = (this.events.length + 1) as GlobalPosition;
    const streamVersion = this.events.filter((e) => e.streamId === streamId).length + 1;
    this.events.push({
      type: event.type,
      data,
      position,
      streamId,
      streamVersion,
      timestamp: Date.now(),
      metadata: {},
    });
    for (const wake of this.#waiters.splice(0)) wake();
    return position;
  }

  async readAll(after: GlobalPosition, limit: number): Promise<readonly ProjectedEvent[]> {
    return this.events.slice(after, after + limit);
  }

  async head(): Promise<GlobalPosition> {
    return this.events.length as GlobalPosition;
  }

  waitForEvents(after: GlobalPosition, signal: AbortSignal): Promise<void> {
    if (this.events.length > after) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(signal.reason);
      };
      this.#waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
