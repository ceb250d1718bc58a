import { type GlobalPosition, START } from '../positions/position.js';
import type { CheckpointStore } from './ports.js';

/** Checkpoints kept in memory: for tests and for subscribers that may run again from the start after a restart. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #positions = new Map<string, GlobalPosition>();

  async get(name: string): Promise<GlobalPosition> {
    return this.#positions.get(name) ?? START;
  }

  async set(name: string, position: GlobalPosition): Promise<void> {
    this.#positions.set(name, position);
  }
}
