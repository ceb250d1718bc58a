import { type CheckpointStore, type GlobalPosition, PositionTracker } from '@twofold/core';

/**
 * Subscriber checkpoints that also report how far each subscriber has got, so that a query showing what a
 * side effect left behind (a refund, a mail) can wait for it with `reads`, as it would for a projection.
 */
export class TrackedCheckpoints implements CheckpointStore {
  readonly #inner: CheckpointStore;
  readonly #trackers = new Map<string, PositionTracker>();

  constructor(inner: CheckpointStore) {
    this.#inner = inner;
  }

  /** The progress of the subscriber `name`, for a query's `reads`. */
  progress(name: string): PositionTracker {
    let tracker = this.#trackers.get(name);
    if (tracker === undefined) {
      tracker = new PositionTracker(name);
      this.#trackers.set(name, tracker);
    }
    return tracker;
  }

  async get(name: string): Promise<GlobalPosition> {
    const position = await this.#inner.get(name);
    this.progress(name).advanceTo(position);
    return position;
  }

  async set(name: string, position: GlobalPosition): Promise<void> {
    await this.#inner.set(name, position);
    this.progress(name).advanceTo(position);
  }
}
