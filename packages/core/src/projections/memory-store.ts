import { InvalidArgumentError, TwofoldError } from '../errors/errors.js';
import { type GlobalPosition, START } from '../positions/position.js';
import {
  type DocumentCollection,
  type DocumentReader,
  type DocumentTx,
  matches,
  type WritableCollection,
} from './documents.js';
import type { ProjectionStore } from './ports.js';

const DELETED = Symbol('deleted');
type Staged = Map<string, Map<string, unknown>>;

/**
 * An in-memory read store (MemoryImage): document collections held in maps, rebuilt from the event log each
 * time the process starts (its checkpoints start at the beginning). A transaction stages its writes and applies
 * them only on commit, so a handler that throws leaves the read model as it was.
 *
 * @example
 * const views = new MemoryDocumentStore();
 * const runner = new ProjectionRunner({ projection: bookingsView, store: views, feed: eventStore });
 * mediator.query(GuestBookings, ({ guestId }) => views.collection<Booking>('bookings').find({ guestId }));
 */
export class MemoryDocumentStore implements ProjectionStore<DocumentTx>, DocumentReader {
  readonly #collections = new Map<string, Map<string, unknown>>();
  readonly #checkpoints = new Map<string, GlobalPosition>();

  async checkpoint(projection: string): Promise<GlobalPosition> {
    return this.#checkpoints.get(projection) ?? START;
  }

  async commit(
    projection: string,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: DocumentTx) => void | Promise<void>,
  ): Promise<void> {
    const current = this.#checkpoints.get(projection) ?? START;
    if (current !== from) {
      throw new TwofoldError(
        'CONCURRENCY_CONFLICT',
        `Projection ${projection} is at ${current}, not ${from}: another runner applied these events`,
      );
    }
    const staged: Staged = new Map();
    await work({ collection: <T>(name: string) => this.#writable<T>(name, staged) });
    if ((this.#checkpoints.get(projection) ?? START) !== from) {
      throw new TwofoldError('CONCURRENCY_CONFLICT', `Projection ${projection} moved while this batch was applied`);
    }
    for (const [name, writes] of staged) {
      const documents = this.#documents(name);
      for (const [id, value] of writes) {
        if (value === DELETED) documents.delete(id);
        else documents.set(id, value);
      }
    }
    this.#checkpoints.set(projection, to);
  }

  /** Reads a collection as committed. */
  collection<T>(name: string): DocumentCollection<T> {
    return this.#view<T>(name, undefined);
  }

  /** Drops a projection's checkpoint and the collections named, so that it rebuilds from the start. */
  reset(projection: string, collections: readonly string[]): void {
    this.#checkpoints.delete(projection);
    for (const name of collections) this.#collections.delete(name);
  }

  #documents(name: string): Map<string, unknown> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError('A collection name must be a non-empty string');
    }
    let documents = this.#collections.get(name);
    if (documents === undefined) {
      documents = new Map();
      this.#collections.set(name, documents);
    }
    return documents;
  }

  #view<T>(name: string, staged: Map<string, unknown> | undefined): DocumentCollection<T> {
    const documents = this.#documents(name);
    const get = (id: string): T | undefined => {
      const pending = staged?.get(id);
      if (pending === DELETED) return undefined;
      return (pending ?? documents.get(id)) as T | undefined;
    };
    const all = (): T[] => {
      const ids = new Set([...documents.keys(), ...(staged?.keys() ?? [])]);
      return [...ids]
        .sort()
        .map(get)
        .filter((d): d is Awaited<T> => d !== undefined) as T[];
    };
    return {
      get,
      find: (where) => all().filter((d) => matches(d, where)),
      count: (where) => all().filter((d) => matches(d, where)).length,
    };
  }

  #writable<T>(name: string, staged: Staged): WritableCollection<T> {
    let writes = staged.get(name);
    if (writes === undefined) {
      writes = new Map();
      staged.set(name, writes);
    }
    const pending = writes;
    const view = this.#view<T>(name, pending);
    return {
      ...view,
      put: (id, document) => {
        pending.set(id, structuredClone(document));
      },
      update: (id, changes) => {
        const current = view.get(id);
        if (current === undefined) return false;
        pending.set(id, { ...current, ...structuredClone(changes) });
        return true;
      },
      delete: (id) => {
        pending.set(id, DELETED);
      },
    };
  }
}
