import type { Protocol, Step } from '../protocol/run.js';
import { atEndOfTurn } from '../runtime/timers.js';

/** One change to a held command (a completion, a failure, a release) waiting for its group's commit. */
interface Outcome<Tx> {
  readonly change: (tx: Tx) => Step<boolean>;
  readonly resolve: (changed: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/** How a group commits: `body` in one write transaction, its result given back (a value or a promise of one). */
export type RunInTransaction<Tx> = <R>(body: (tx: Tx) => Protocol<R>) => Step<R>;

/**
 * Commits the outcomes of commands that finish close together in one transaction: on a database that syncs every
 * commit, a worker running many commands at once pays one sync for all their completions instead of one each.
 * The outcomes asked for in one turn of the event loop, and those asked for while a group is committing, make the
 * next group. Each call resolves once its group has committed, so a completion it reports is durable; a process
 * that dies before that commit leaves the whole group's commands running under their leases, to be claimed again
 * when the leases end, never half recorded. A group that fails is tried again one outcome per transaction, so that
 * one bad outcome fails alone. A group of one outcome (one statement) runs through `alone` when given, a statement
 * committed on its own: one round trip where a transaction costs three.
 *
 * @example
 * const groups = new OutcomeGroups((body) => dialect.transaction(body), (body) => dialect.run(body));
 * const changed = await groups.add((tx) => dialect.complete(tx, held, success));
 */
export class OutcomeGroups<Tx> {
  readonly #transaction: RunInTransaction<Tx>;
  readonly #alone: RunInTransaction<Tx>;
  #waiting: Outcome<Tx>[] = [];
  #scheduled = false;
  #committing = false;

  /** Groups commit through `transaction`; a group of one through `alone` (default: `transaction` too). */
  constructor(transaction: RunInTransaction<Tx>, alone: RunInTransaction<Tx> = transaction) {
    this.#transaction = transaction;
    this.#alone = alone;
  }

  /** Runs `change` in the next group's transaction; resolves to its answer once that transaction has committed. */
  add(change: (tx: Tx) => Step<boolean>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ change, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#committing || this.#waiting.length === 0) return;
    this.#scheduled = true;
    atEndOfTurn(() => {
      this.#scheduled = false;
      void this.#commitNext();
    });
  }

  async #commitNext(): Promise<void> {
    const group = this.#waiting;
    this.#waiting = [];
    this.#committing = true;
    try {
      await this.#commit(group);
    } finally {
      this.#committing = false;
      this.#schedule();
    }
  }

  async #commit(group: readonly Outcome<Tx>[]): Promise<void> {
    try {
      const answers = await (group.length === 1 ? this.#alone : this.#transaction)(function* (tx) {
        const changed: boolean[] = [];
        for (const outcome of group) changed.push(yield outcome.change(tx));
        return changed;
      });
      for (const [i, outcome] of group.entries()) outcome.resolve(answers[i] === true);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      for (const outcome of group) await this.#commit([outcome]);
    }
  }
}
