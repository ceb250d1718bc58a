/**
 * Runs the work given for one key one after another, in the order given, and work for different keys
 * concurrently: commands on one aggregate in one process then never conflict with each other.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` once the work before it on `key` has settled; `waited` tells it whether there was any. */
  run<T>(key: string, work: (waited: boolean) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous === undefined ? work(false) : previous.then(() => work(true));
    // The key's new tail settles with `work`, and forgets the key unless more work has queued behind it.
    const settled = () => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail = result.then(settled, settled);
    this.#tails.set(key, tail);
    return result;
  }
}
