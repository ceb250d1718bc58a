import type { NewQueuedCommand } from '../command-queue/records.js';
import type { GlobalPosition } from '../positions/position.js';
import type { ProcessInstance } from './instance.js';

/**
 * What one handled event or fired timer commits, all or nothing: the instance (state, closed, timers) at
 * `version + 1`, the commands it sends into the command queue, and, for an event, the manager's checkpoint.
 */
export interface ProcessCommit {
  /** The process manager's name. */
  readonly manager: string;
  readonly correlation: string;
  /** The instance after the change; its `version` is one more than the stored one (1 for a new instance). */
  readonly instance: ProcessInstance;
  /** Enqueued in the same transaction. */
  readonly commands: readonly NewQueuedCommand[];
  /** For an event: the checkpoint moves from `from` (which must be the stored one) to `to`. */
  readonly checkpoint?: { readonly from: GlobalPosition; readonly to: GlobalPosition } | undefined;
}

/** A timer that has fallen due. */
export interface DueTimer {
  readonly correlation: string;
  readonly name: string;
  /** When it fell due, in ms since the epoch. */
  readonly at: number;
}

/**
 * Where process managers keep their instances, timers and checkpoints, beside the command queue of the same
 * database so that a commit enqueues its commands in its own transaction. `memory().processes` is one.
 */
export interface ProcessStore {
  /** The stored instance, or undefined before its first commit. */
  instance(manager: string, correlation: string): Promise<ProcessInstance | undefined>;
  /**
   * Commits a change in one transaction; resolves to false, and writes nothing, when the stored instance is not at
   * `instance.version - 1` or the stored checkpoint is not `checkpoint.from`: someone else committed first.
   */
  commit(commit: ProcessCommit): Promise<boolean>;
  /** How far the manager has handled the log (START at first). */
  checkpoint(manager: string): Promise<GlobalPosition>;
  /** Moves the checkpoint past events that changed nothing; false, and no change, unless it is at `from`. */
  moveCheckpoint(manager: string, from: GlobalPosition, to: GlobalPosition): Promise<boolean>;
  /** The manager's timers due at `now`, the earliest first, at most `limit`. */
  dueTimers(manager: string, now: number, limit: number): Promise<readonly DueTimer[]>;
  /**
   * Counts one more failure of `timer`'s handler, and resolves to its failures so far; 0, counting nothing, when the
   * timer is no longer set at `timer.at` (fired, cancelled or moved since it was listed). The count is stored with
   * the timer, so a new runner (after a restart, or on another node) goes on from it: a commit that leaves the
   * timer due at the same time keeps it, and one that removes or moves the timer drops it.
   */
  timerFailed(manager: string, timer: DueTimer): Promise<number>;
  /** When the manager's earliest timer falls due, or undefined when it has none. */
  nextTimer(manager: string): Promise<number | undefined>;
  /**
   * Deletes at most `limit` of the manager's closed instances whose closing commit was at or before `closedBefore`
   * (ms since the epoch, by the store's clock, `Date.now`), and resolves to how many it deleted. Open instances
   * are never deleted.
   */
  pruneClosed(manager: string, closedBefore: number, limit: number): Promise<number>;
}
