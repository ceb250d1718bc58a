/** A state as a write model keeps it between commands, with the version it was committed at. */
export interface CachedState {
  readonly state: unknown;
  readonly version: number;
}

/** The states most recently committed by one process, least recently used first; `size` 0 keeps none. */
export class StateCache {
  readonly #entries = new Map<string, CachedState>();
  constructor(readonly size: number) {}

  /** Takes an entry out: it is put back only once a commit made from it lands. */
  take(key: string): CachedState | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#entries.delete(key);
    return entry;
  }

  put(key: string, entry: CachedState): void {
    if (this.size === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.size) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

const ignore = () => undefined;

/**
 * Runs the work given for one key one after another, in the order given, and work for different keys
 * concurrently: commands on one aggregate in one process then never conflict with each other.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once the work before it on `key` has settled; `waited` tells it whether there was any. */
  run<T>(key: string, work: (waited: boolean) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous === undefined ? work(false) : previous.then(() => work(true));
    const tail = result.then(ignore, ignore);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
