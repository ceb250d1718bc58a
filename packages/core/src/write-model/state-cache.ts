/** A state as a write model keeps it between commands, with the version it was committed at. */
export interface CachedState {
  readonly state: unknown;
  readonly version: number;
}

/** The states most recently committed by one process, least recently used first; `size` 0 keeps none. */
export class StateCache {
  readonly #entries = new Map<string, CachedState>();
  readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  /**
   * Takes an entry out: it is put back once a commit made from it lands, or once a decision made on it is refused
   * (which changed nothing).
   */
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
