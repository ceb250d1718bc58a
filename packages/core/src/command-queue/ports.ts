import type { GlobalPosition } from '../positions/position.js';
import type { ClaimedCommand, CommandProblem, NewQueuedCommand, QueuedCommand } from './records.js';

/** What `claim` takes: how many commands, for how long, and the time to judge what is due by. */
export interface ClaimRequest {
  /** At most this many commands (>= 1). */
  readonly limit: number;
  /** The lease of each claimed command, in ms from `now`. */
  readonly leaseMs: number;
  /** The current time, in ms since the epoch. */
  readonly now: number;
}

/** How a claimed command's attempt ended in success. */
export interface CommandSuccess {
  readonly result: unknown;
  readonly position: GlobalPosition | undefined;
}

/** A claimed command's success, to record under the lease its claim gave: what `completeAndClaim` takes. */
export interface CommandCompletion {
  readonly id: string;
  readonly lease: string;
  readonly success: CommandSuccess;
}

/**
 * The durable command queue. Every time is in ms since the epoch and given by the caller (the worker's clock), so
 * that scheduling is the same on every store. A claim is a lease: the claiming worker alone may complete, fail,
 * renew or release the command, and only while the lease holds; once it ends, another worker may claim the command
 * again. Calls made with a lease that no longer holds change nothing and resolve to false.
 *
 * What `claim` hands out: commands that are `queued` or `failed` and due (`runAt <= now`), or `running` with an
 * expired lease; of those, only the earliest-enqueued live command (queued, failed or running) of its key, so that
 * commands with one key run one after another in enqueue order; highest priority first, then earliest `runAt`,
 * then enqueue order.
 */
export interface CommandQueueStore {
  /**
   * Stores a new command as `queued`, durably, and wakes the workers. A command whose id is already in the queue
   * is not stored again: the stored one is returned.
   */
  enqueue(command: NewQueuedCommand): Promise<QueuedCommand>;
  /** Claims due commands; see {@link CommandQueueStore}. Each claim counts one more attempt. */
  claim(request: ClaimRequest): Promise<readonly ClaimedCommand[]>;
  /** Moves a claimed command's lease end to `until`. */
  renew(id: string, lease: string, until: number): Promise<boolean>;
  /** Marks a claimed command `succeeded`, with its result and position. */
  complete(id: string, lease: string, success: CommandSuccess, now: number): Promise<boolean>;
  /**
   * Optional, where the store can do both in one round trip: marks each claimed command of `completions`
   * `succeeded`, as `complete` would, and claims as `claim` (never one of those commands; the next of a key once its
   * command is completed). Resolves once both are committed, with whether each completion changed its command (in
   * the order of `completions`) and what was claimed; when it fails, nothing was done. A worker with a free place
   * records the successes of the commands that finished while it was not claiming with its next claim, instead of
   * calling `complete` for each and then `claim`, when its last claim took as many commands as it asked for.
   */
  completeAndClaim?(
    completions: readonly CommandCompletion[],
    request: ClaimRequest,
  ): Promise<{ readonly completed: readonly boolean[]; readonly claimed: readonly ClaimedCommand[] }>;
  /**
   * Records a failed attempt of a claimed command: `failed`, due again at `retryAt`, or `dead` when `retryAt` is
   * undefined.
   */
  fail(id: string, lease: string, problem: CommandProblem, retryAt: number | undefined, now: number): Promise<boolean>;
  /** Gives a claimed command back without counting the attempt: a stopping worker releases what it has not run. */
  release(id: string, lease: string, now: number): Promise<boolean>;
  /** Cancels a command that is `queued` or `failed`; false (and no change) for one in any other status or none. */
  cancel(id: string, now: number): Promise<boolean>;
  /** The command with this id, with its status; undefined when there is none. */
  get(id: string): Promise<QueuedCommand | undefined>;
  /** The dead commands, the earliest-enqueued first, at most `limit` (default: all). */
  dead(limit?: number): Promise<readonly QueuedCommand[]>;
  /** Makes a dead command `queued` again, due at `now`, its attempts back to 0; false when it is not dead. */
  replay(id: string, now: number): Promise<boolean>;
  /** Deletes a dead command; false when it is not dead. */
  discard(id: string): Promise<boolean>;
  /**
   * Calls `listener` when a command may have become claimable (an enqueue, a replay, a release), here or, where
   * the store can tell, in another process. Returns the function that stops the calls.
   */
  subscribe(listener: () => void): () => void;
  /**
   * Calls `listener` with a command's id when a call on this store has made it final (`succeeded`, `dead` or
   * `cancelled`: a worker of this process completed it, or it was cancelled here), and with undefined when a
   * command may have become final in another process and the store can tell (PostgreSQL: another node made a
   * command final, or committed events). A hint to read the command again, never its status. Returns the function that stops the calls.
   * A listener that throws is passed over: the call that made the command final still resolves.
   */
  onSettled(listener: (id: string | undefined) => void): () => void;
}

/**
 * A command queue that can also store a command inside the transaction `tx` of another store on the same database
 * handle (the write store's unit of work, a process manager's), so that the command exists if, and only if, that
 * transaction commits. `enqueueIn` takes a command as `enqueue` does, refuses a malformed one (INVALID_ARGUMENT)
 * and a `tx` that is not one of its own handle's transactions, and gives back the stored command; the workers
 * wake once `tx` has committed. Synchronous where the handle's transactions are (SQLite).
 *
 * @example
 * // SQLite, in a unit-of-work participant: (tx) => db.commands.enqueueIn(tx, command)
 * // PostgreSQL, in one:                     async (tx) => { await db.commands.enqueueIn(tx, command); }
 */
export interface TransactionalCommandQueue<Tx> extends CommandQueueStore {
  /** Stores `command` inside `tx`; see {@link TransactionalCommandQueue}. */
  enqueueIn(tx: Tx, command: NewQueuedCommand): QueuedCommand | Promise<QueuedCommand>;
}
