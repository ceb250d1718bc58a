import type { Protocol, Step } from '../protocol/run.js';
import type { QueuedCommandRow } from './rows.js';

/** A new command's row: JSON as text, no key as NULL. */
export interface NewCommandRow {
  /** The command's message id, unique in the queue. */
  readonly id: string;
  /** The command's message type. */
  readonly type: string;
  /** The payload, as JSON text. */
  readonly data: string;
  /** The envelope fields the command keeps, as JSON text. */
  readonly envelope: string;
  /** The key whose commands run one after another, or NULL. */
  readonly key: string | null;
  /** Higher runs first. */
  readonly priority: number;
  /** Not before this time, in ms since the epoch. */
  readonly runAt: number;
  /** When it was enqueued, in ms since the epoch. */
  readonly enqueuedAt: number;
}

/** A claimed command's row, with its place in the queue (`seq`, the enqueue order). */
export type ClaimedCommandRow = QueuedCommandRow & { readonly seq: number | string | bigint };

/** A command held under a lease: the calls that change it apply only while `lease` holds it. */
export interface HeldCommand {
  /** The command's id. */
  readonly id: string;
  /** The lease token its claim gave. */
  readonly lease: string;
}

/**
 * What the command queue protocol needs from one database: its runner and the statements on the queue's table.
 * Every statement runs in `tx` (a transaction, or the handle outside one, as the runner gives it). A call on a
 * {@link HeldCommand} changes the command only while its status is `running` under that lease, ends the lease
 * (but `renew`), and answers whether it changed it.
 */
export interface CommandQueueDialect<Tx> {
  /** Runs `body` in one write transaction (an enqueue, a group of outcomes) and gives back its result. */
  transaction<R>(body: (tx: Tx) => Protocol<R>): Step<R>;
  /** Runs `body` on the handle outside any transaction: each statement commits on its own. */
  run<R>(body: (tx: Tx) => Protocol<R>): Step<R>;
  /**
   * Keeps other enqueues of `key` waiting until `tx` ends, where concurrent transactions could otherwise commit one
   * key's commands out of their enqueue order (PostgreSQL). Nothing where writers take turns (SQLite).
   */
  lockKey(tx: Tx, key: string): Step<void>;
  /** Inserts the command as `queued`, 0 attempts, updated at its enqueue time, unless its id is taken; true when inserted. */
  insert(tx: Tx, row: NewCommandRow): Step<boolean>;
  /** The command's row, undefined when there is none. */
  find(tx: Tx, id: string): Step<QueuedCommandRow | undefined>;
  /**
   * Optional, where the database can do it in one statement committed on its own: what `lockKey`, `insert` and
   * `find` do in a transaction of their own, in one round trip. Gives back whether the row was inserted and the
   * stored row, undefined when that statement could not see it (an enqueue of the same id committed while it ran:
   * the queue then reads it with `find`), and `told` when the statement itself woke the other processes' workers in
   * its commit. Without it, an enqueue is a transaction of those three.
   */
  enqueue?(
    tx: Tx,
    row: NewCommandRow,
  ): Step<{ readonly inserted: boolean; readonly row: QueuedCommandRow | undefined; readonly told?: boolean }>;
  /**
   * Marks `running` at most `limit` claimable commands, each under a lease token of its own ending at `until`, one
   * more attempt, updated at `now`, and gives back their rows in any order. Claimable: `queued` or `failed` and due
   * (`run_at <= now`), or `running` with `lease_until <= now`, and the earliest-enqueued live command (`queued`,
   * `failed` or `running`) of its key; the highest priority first, then the earliest `run_at`, then enqueue order.
   * Atomic on its own, outside any transaction: two claims at once, in any process, never take the same command.
   */
  claim(
    tx: Tx,
    claim: { readonly limit: number; readonly now: number; readonly until: number },
  ): Step<readonly ClaimedCommandRow[]>;
  /**
   * Optional, where the database can do it in one statement committed on its own: `complete` for each of
   * `completions`, then `claim`, in one round trip, giving back the ids of the commands the completions changed and
   * the claimed rows. The claim never takes a command it completes, and takes the next command of a key when the
   * completion of its command did change it. `told` is true when the statement itself told the other processes of
   * the completions, as the queue's `settledElsewhere` would after the commit (PostgreSQL: a NOTIFY committed with
   * it); the queue then does not tell them again. Without it, a worker records each outcome and claims apart.
   */
  completeAndClaim?(
    tx: Tx,
    completions: readonly (HeldCommand & { readonly result: string | null; readonly position: number | null })[],
    claim: { readonly limit: number; readonly now: number; readonly until: number },
  ): Step<{
    readonly completed: readonly string[];
    readonly claimed: readonly ClaimedCommandRow[];
    readonly told: boolean;
  }>;
  /** Moves the lease's end to `until`. */
  renew(tx: Tx, held: HeldCommand, until: number): Step<boolean>;
  /** Marks the command `succeeded` with its result (JSON text) and position. */
  complete(
    tx: Tx,
    held: HeldCommand,
    success: { readonly result: string | null; readonly position: number | null; readonly now: number },
  ): Step<boolean>;
  /** Records a failed attempt: `status` (`failed` or `dead`), the problem (JSON text), due again at `retryAt` when given. */
  fail(
    tx: Tx,
    held: HeldCommand,
    failure: {
      readonly status: 'failed' | 'dead';
      readonly problem: string;
      readonly retryAt: number | null;
      readonly now: number;
    },
  ): Step<boolean>;
  /** Gives the command back uncounted: one attempt less, `queued` when it has no problem yet, `failed` otherwise. */
  release(tx: Tx, held: HeldCommand, now: number): Step<boolean>;
  /** Marks a `queued` or `failed` command `cancelled`; true when it did. */
  cancel(tx: Tx, id: string, now: number): Step<boolean>;
  /** The dead commands' rows in enqueue order, at most `limit` (all when undefined). */
  dead(tx: Tx, limit: number | undefined): Step<readonly QueuedCommandRow[]>;
  /** Makes a dead command `queued` again, due at `now`, 0 attempts, no problem; true when it did. */
  replay(tx: Tx, id: string, now: number): Step<boolean>;
  /** Deletes a dead command; true when it did. */
  discard(tx: Tx, id: string): Step<boolean>;
}

/**
 * How a queue's workers learn that a command may have become claimable: `wake` after a change committed here,
 * `subscribe` for the workers (and, where the database can tell, for changes other processes made).
 */
export interface QueueWakeUps {
  /**
   * Tells the subscribers that a command may have become claimable. `told`: the other processes' workers were told
   * with the change itself; only this process's are left to wake.
   */
  wake(told?: boolean): void;
  /** Calls `listener` on each wake-up until the returned function is called. */
  subscribe(listener: () => void): () => void;
}
