import { InvalidArgumentError } from '../errors/errors.js';
import { type GlobalPosition, START } from '../positions/position.js';
import type { ReadModelProgress } from './read-model-progress.js';

interface Waiter {
  readonly position: GlobalPosition;
  readonly resolve: () => void;
}

/**
 * Tracks how far a read model has applied the event log, and wakes queries waiting to read their writes.
 * A projection runner calls `advanceTo` after each committed batch; queries call `waitFor` through the mediator.
 *
 * @example
 * const progress = new PositionTracker('roomAvailability');
 * mediator.query(FreeRooms, handler, { reads: [progress] });
 * // in the projection runner, after committing a batch and its checkpoint:
 * progress.advanceTo(lastPosition);
 */
export class PositionTracker implements ReadModelProgress {
  readonly name: string;
  #position: GlobalPosition;
  #waiters: Waiter[] = [];

  constructor(name: string, start: GlobalPosition = START) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('PositionTracker: the name must be a non-empty string');
    }
    this.name = name;
    this.#position = start;
  }

  /** The last position applied. */
  get position(): GlobalPosition {
    return this.#position;
  }

  /** Records that everything up to `position` is applied; positions never move backwards. */
  advanceTo(position: GlobalPosition): void {
    if (position <= this.#position) return;
    this.#position = position;
    if (this.#waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.position <= position) waiter.resolve();
      else still.push(waiter);
    }
    this.#waiters = still;
  }

  waitFor(position: GlobalPosition, signal: AbortSignal): Promise<void> {
    if (position <= this.#position) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        position,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
