import { InvalidArgumentError } from '../errors/errors.js';

/** What a listener of {@link SettledListeners} hears: the id of a command that became final, or undefined. */
export type SettledListener = (id: string | undefined) => void;

/**
 * How a queue shares with the other processes on its database that commands became final, where the database can
 * carry it (PostgreSQL's NOTIFY): `tell` once an outcome made here is committed, `hear` for the others' hints.
 */
export interface SettledElsewhere {
  /** Tells the other processes that the command `id` became final here; called after the commit, never throws. */
  tell(id: string): void;
  /** Calls `listener` on each hint from another process until the returned function is called. */
  hear(listener: () => void): () => void;
}

/**
 * Who waits for queued commands to become final (a status resource's `Prefer: wait`): told a command's id when a
 * call on this store made it `succeeded`, `dead` or `cancelled`, and undefined when `elsewhere` (where the store
 * can hear of changes made in other processes) says one may have; each command made final here is told
 * `elsewhere` too.
 *
 * @example
 * const settled = new SettledListeners();
 * const stop = settled.subscribe((id) => { if (id === undefined || id === wanted) signal.fire(); });
 */
export class SettledListeners {
  readonly #listeners = new Set<SettledListener>();
  readonly #elsewhere: SettledElsewhere | undefined;

  /** `elsewhere` shares with other processes what became final, where the database can. */
  constructor(elsewhere?: SettledElsewhere) {
    this.#elsewhere = elsewhere;
  }

  /**
   * Tells every listener that the command `id` became final. A listener that throws keeps neither the others from
   * hearing it nor the call whose outcome is already committed from resolving: what it hears is only a hint.
   * `told`: the other processes were told already, with the change itself.
   */
  settled(id: string, told = false): void {
    for (const listener of this.#listeners) hint(listener, id);
    if (!told) this.#elsewhere?.tell(id);
  }

  /** Calls `listener` until the returned function is called; INVALID_ARGUMENT when it is not a function. */
  subscribe(listener: SettledListener): () => void {
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError(`onSettled: the listener must be a function; got ${typeof listener}`);
    }
    const own = (id: string | undefined) => listener(id);
    this.#listeners.add(own);
    const stopElsewhere = this.#elsewhere?.hear(() => hint(listener, undefined));
    return () => {
      this.#listeners.delete(own);
      stopElsewhere?.();
    };
  }
}

function hint(listener: SettledListener, id: string | undefined): void {
  try {
    listener(id);
  } catch {
    // A hint missed: the waiter reads the command again on its backoff.
  }
}
