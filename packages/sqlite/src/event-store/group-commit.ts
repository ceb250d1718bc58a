import { setImmediate } from 'node:timers';

/** What one unit of a group came to: what it committed, or why it failed (the others commit regardless). */
export type CommittedOrFailed<C> = { readonly committed: C } | { readonly error: unknown };

/** How a {@link GroupCommit} commits: one unit in its own transaction, or several in one. */
export interface Committer<U, C> {
  alone(unit: U): C;
  together(units: readonly U[]): CommittedOrFailed<C>[];
}

interface Pending<U, C> {
  readonly unit: U;
  readonly resolve: (committed: C) => void;
  readonly reject: (error: unknown) => void;
}

const GROUPS_TO_GIVE_UP = 8;
const PROBE_EVERY = 64;

/**
 * Group commit by event-loop turn. The first commit of a turn runs at once. Commits that arrive after it in the same
 * turn (concurrent callers) wait for the end of the turn and commit together, and so on while they keep coming.
 * A caller that commits in a loop, awaiting each commit, is not held back: after GROUPS_TO_GIVE_UP groups of one
 * in a row, commits run at once again, and one in PROBE_EVERY waits, to notice concurrent callers.
 *
 * The turn's end is `setImmediate` from `node:timers`, which fake timers installed on the global object leave alone.
 */
export class GroupCommit<U, C> {
  readonly #committer: Committer<U, C>;
  #pending: Pending<U, C>[] = [];
  // True from a commit until the end of its event-loop turn: a flush is scheduled.
  #busyTurn = false;
  #grouping = true;
  #groupsOfOne = 0;
  #sinceProbe = 0;

  constructor(committer: Committer<U, C>) {
    this.#committer = committer;
  }

  commit(unit: U): C | Promise<C> {
    if (this.#pending.length === 0) {
      if (!this.#busyTurn) {
        this.#busyTurn = true;
        setImmediate(() => this.flush());
        return this.#committer.alone(unit);
      }
      if (!this.#grouping && ++this.#sinceProbe < PROBE_EVERY) return this.#committer.alone(unit);
      this.#sinceProbe = 0;
    }
    return new Promise((resolve, reject) => this.#pending.push({ unit, resolve, reject }));
  }

  /** Commits what waits for the end of the turn now (the store calls it when it closes too). */
  flush(): void {
    this.#busyTurn = false;
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    this.#busyTurn = true;
    setImmediate(() => this.flush());
    this.#groupsOfOne = pending.length === 1 ? this.#groupsOfOne + 1 : 0;
    this.#grouping = this.#groupsOfOne < GROUPS_TO_GIVE_UP;
    if (pending.length === 1) {
      const [{ unit, resolve, reject }] = pending as [Pending<U, C>];
      try {
        resolve(this.#committer.alone(unit));
      } catch (error) {
        reject(error);
      }
      return;
    }
    let outcomes: CommittedOrFailed<C>[];
    try {
      outcomes = this.#committer.together(pending.map((p) => p.unit));
    } catch (error) {
      for (const p of pending) p.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => {
      if ('error' in outcome) pending[i]!.reject(outcome.error);
      else pending[i]!.resolve(outcome.committed);
    });
  }
}
