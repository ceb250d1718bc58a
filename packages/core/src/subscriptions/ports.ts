import type { GlobalPosition } from '../positions/position.js';

/** Where subscribers keep how far they have read the log. */
export interface CheckpointStore {
  /** The last position `name` has handled, or START. */
  get(name: string): Promise<GlobalPosition>;
  /** Records that `name` has handled everything up to `position`. */
  set(name: string, position: GlobalPosition): Promise<void>;
}
