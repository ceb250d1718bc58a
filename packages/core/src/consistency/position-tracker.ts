import { InvalidArgumentError, PositionAheadOfLogError, ProjectionStoppedError } from '../errors/errors.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { Waiters } from '../positions/waiters.js';
import type { ReadModelProgress } from './read-model-progress.js';

/** Options of {@link PositionTracker}. */
export interface PositionTrackerOptions {
  /** The position the read model starts at. Default: START. */
  readonly start?: GlobalPosition;
  /**
   * The highest position the event log may have handed out (see `EventFeed.ceiling`). With it, a wait for a
   * position above it fails at once with POSITION_AHEAD_OF_LOG instead of timing out.
   */
  readonly ceiling?: () => Promise<GlobalPosition>;
}

/**
 * Tracks how far a read model has applied the event log, and wakes queries waiting to read their writes.
 * A projection runner calls `advanceTo` after each committed batch; queries call `waitFor` through the mediator.
 * While the runner is stopped on an event it cannot apply (`halt`), a wait beyond it fails at once.
 *
 * @example
 * const progress = new PositionTracker('roomAvailability');
 * mediator.query(FreeRooms, handler, { reads: [progress] });
 * // in the projection runner, after committing a batch and its checkpoint:
 * progress.advanceTo(lastPosition);
 */
export class PositionTracker implements ReadModelProgress {
  readonly name: string;
  readonly #ceiling: (() => Promise<GlobalPosition>) | undefined;
  #position: GlobalPosition;
  // The highest ceiling the log has given: it never falls, so a wait at or below it need not ask again.
  #ceilingSeen: GlobalPosition = START;
  #halted = false;
  // A wait for `position` is a wait for a head past `position - 1`.
  readonly #waiters = new Waiters();

  constructor(name: string, options: PositionTrackerOptions = {}) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('PositionTracker: the name must be a non-empty string');
    }
    const { start = START, ceiling } = options;
    if (ceiling !== undefined && typeof ceiling !== 'function') {
      throw new InvalidArgumentError('PositionTracker: options.ceiling must be a function returning a position');
    }
    this.name = name;
    this.#position = start;
    this.#ceiling = ceiling;
  }

  /** The last position applied. */
  get position(): GlobalPosition {
    return this.#position;
  }

  /** True while the read model is stopped on an event it cannot apply. */
  get halted(): boolean {
    return this.#halted;
  }

  /** Records that everything up to `position` is applied; positions never move backwards. */
  advanceTo(position: GlobalPosition): void {
    if (position <= this.#position) return;
    this.#position = position;
    if (this.#waiters.size > 0) this.#waiters.wake(position);
  }

  /**
   * Records that the read model is stopped on the event after its position: every wait beyond it, those already
   * waiting included, fails at once with PROJECTION_STOPPED until {@link PositionTracker.resume}.
   */
  halt(): void {
    this.#halted = true;
    this.#waiters.rejectEach((after) => this.#stopped((after + 1) as GlobalPosition));
  }

  /** Records that the read model applies events again. */
  resume(): void {
    this.#halted = false;
  }

  waitFor(position: GlobalPosition, signal: AbortSignal): Promise<void> {
    if (position <= this.#position) return Promise.resolve();
    if (this.#halted) return Promise.reject(this.#stopped(position));
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#ceiling === undefined || position <= this.#ceilingSeen) return this.#wait(position, signal);
    return this.#ceiling().then((ceiling) => {
      if (position > ceiling) throw new PositionAheadOfLogError(position);
      if (ceiling > this.#ceilingSeen) this.#ceilingSeen = ceiling;
      // The read model may have moved, or stopped, while the log was asked.
      if (position <= this.#position) return undefined;
      if (this.#halted) throw this.#stopped(position);
      if (signal.aborted) throw signal.reason;
      return this.#wait(position, signal);
    });
  }

  #wait(position: GlobalPosition, signal: AbortSignal): Promise<void> {
    return this.#waiters.add((position - 1) as GlobalPosition, signal);
  }

  #stopped(after: GlobalPosition): ProjectionStoppedError {
    return new ProjectionStoppedError(this.name, this.#position, after);
  }
}
