import { InvalidArgumentError, TwofoldError } from '../errors/errors.js';
import { defersToCommit } from '../event-store/memory-store.js';
import type { RecordedEvent } from '../event-store/records.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { documentQuery, pageInMemory } from './document-query.js';
import {
  type DocumentReader,
  type DocumentTx,
  type InlineCollection,
  type InlineDocumentTx,
  matches,
  promisedCollection,
  promisedWritable,
  type SyncDocumentCollection,
} from './documents.js';
import type { InlineDocumentStore, ProjectionSlot, ProjectionStore } from './ports.js';

const DELETED = Symbol('deleted');
type Staged = Map<string, Map<string, unknown>>;

interface Slot {
  checkpoint: GlobalPosition;
  readonly collections: Map<string, Map<string, unknown>>;
}

function key(slot: ProjectionSlot): string {
  return `${slot.projection}@${slot.version}`;
}

/**
 * An in-memory read store (MemoryImage): document collections held in maps, rebuilt from the event log each
 * time the process starts (its checkpoints start at the beginning). A transaction stages its writes and applies
 * them only on commit, so a handler that throws leaves the read model as it was. Its `inline` view applies inline
 * projections synchronously, as SQLite does, so an app tested in memory runs the same handlers on SQLite.
 *
 * @example
 * const views = new MemoryDocumentStore();
 * const runner = new ProjectionRunner({ projection: bookingsView, store: views, feed: eventStore });
 * mediator.query(GuestBookings, ({ guestId }) => views.read(bookingsView).collection<Booking>('bookings').find({ guestId }));
 */
export class MemoryDocumentStore implements ProjectionStore<DocumentTx> {
  readonly #slots = new Map<string, Slot>();
  readonly #active = new Map<string, number>();
  /** The store as inline projections see it: their handlers get an {@link InlineDocumentTx}, answered at once. */
  readonly inline: InlineDocumentStore<unknown, InlineDocumentTx> = {
    checkpoint: (slot) => this.checkpoint(slot),
    activeVersion: (projection) => this.activeVersion(projection),
    activate: (slot) => this.activate(slot),
    commit: async (slot, from, to, work) => {
      const target = this.#at(slot, from);
      const staged: Staged = new Map();
      refuseAwaiting(work(this.#inlineTx(target, staged)), `Inline projection ${slot.projection}`);
      this.#apply(slot, target, from, to, staged);
    },
    applyWithin: (writeTx, slot, events, apply) => this.#applyWithin(writeTx, slot, events, apply),
  };

  async checkpoint(slot: ProjectionSlot): Promise<GlobalPosition> {
    return this.#slots.get(key(slot))?.checkpoint ?? START;
  }

  async commit(
    slot: ProjectionSlot,
    from: GlobalPosition,
    to: GlobalPosition,
    work: (tx: DocumentTx) => void | Promise<void>,
  ): Promise<void> {
    const target = this.#at(slot, from);
    const staged: Staged = new Map();
    const inline = this.#inlineTx(target, staged);
    await work({ collection: <T>(name: string) => promisedWritable(inline.collection<T>(name)) });
    this.#apply(slot, target, from, to, staged);
  }

  #applyWithin(
    writeTx: unknown,
    slot: ProjectionSlot,
    events: readonly RecordedEvent[],
    apply: (event: RecordedEvent, tx: InlineDocumentTx) => void | Promise<void>,
  ): void {
    const last = events.at(-1);
    if (last === undefined) return;
    const target = this.#slot(slot);
    const from = target.checkpoint;
    const staged: Staged = new Map();
    const tx = this.#inlineTx(target, staged);
    for (const event of events) refuseAwaiting(apply(event, tx), `Inline projection ${slot.projection}`);
    this.#check(slot, target, from);
    // With the in-memory write store the documents change only once the whole commit has succeeded, so a later
    // participant that fails rolls this projection back with it; inside another store's transaction they change
    // now.
    if (defersToCommit(writeTx)) writeTx.onCommit(() => this.#write(target, last.position, staged));
    else this.#write(target, last.position, staged);
  }

  #at(slot: ProjectionSlot, from: GlobalPosition): Slot {
    const target = this.#slot(slot);
    if (target.checkpoint !== from) {
      throw new TwofoldError(
        'CONCURRENCY_CONFLICT',
        `Projection ${key(slot)} is at ${target.checkpoint}, not ${from}: another runner applied these events`,
      );
    }
    return target;
  }

  #inlineTx(target: Slot, staged: Staged): InlineDocumentTx {
    return { collection: <T>(name: string) => writable<T>(documents(target, name), staged, name) };
  }

  #apply(slot: ProjectionSlot, target: Slot, from: GlobalPosition, to: GlobalPosition, staged: Staged): void {
    this.#check(slot, target, from);
    this.#write(target, to, staged);
  }

  #check(slot: ProjectionSlot, target: Slot, from: GlobalPosition): void {
    if (target.checkpoint !== from) {
      throw new TwofoldError('CONCURRENCY_CONFLICT', `Projection ${key(slot)} moved while this batch was applied`);
    }
  }

  #write(target: Slot, to: GlobalPosition, staged: Staged): void {
    for (const [name, writes] of staged) {
      const collection = documents(target, name);
      for (const [id, value] of writes) {
        if (value === DELETED) collection.delete(id);
        else collection.set(id, value);
      }
    }
    target.checkpoint = to;
  }

  async activeVersion(projection: string): Promise<number | undefined> {
    return this.#active.get(projection);
  }

  async activate(slot: ProjectionSlot): Promise<void> {
    this.#slot(slot);
    this.#active.set(slot.projection, slot.version);
    for (const name of [...this.#slots.keys()]) {
      if (name.startsWith(`${slot.projection}@`) && name !== key(slot)) this.#slots.delete(name);
    }
  }

  /**
   * The committed collections of a projection's active version, for query handlers. Empty before the
   * projection's first version is activated.
   */
  read(projection: string | { readonly name: string }): DocumentReader {
    const name = typeof projection === 'string' ? projection : projection.name;
    return {
      collection: <T>(collection: string) => {
        const version = this.#active.get(name);
        const slot = version === undefined ? undefined : this.#slots.get(key({ projection: name, version }));
        return promisedCollection(
          view<T>(slot === undefined ? new Map() : documents(slot, collection), undefined, collection),
        );
      },
    };
  }

  #slot(slot: ProjectionSlot): Slot {
    let found = this.#slots.get(key(slot));
    if (found === undefined) {
      found = { checkpoint: START, collections: new Map() };
      this.#slots.set(key(slot), found);
    }
    return found;
  }
}

// Inline projections apply in memory as they do in SQLite's synchronous transaction, so that what passes here
// does not fail there.
function refuseAwaiting(value: void | Promise<void>, what: string): void {
  if (value instanceof Promise) {
    value.catch(() => {});
    throw new InvalidArgumentError(
      `${what} returned a promise: inline projections run in a synchronous transaction (in memory as on SQLite), so they read with InlineDocumentTx and must finish without awaiting`,
    );
  }
}

function documents(slot: Slot, name: string): Map<string, unknown> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('A collection name must be a non-empty string');
  }
  let found = slot.collections.get(name);
  if (found === undefined) {
    found = new Map();
    slot.collections.set(name, found);
  }
  return found;
}

function view<T>(
  committed: Map<string, unknown>,
  staged: Map<string, unknown> | undefined,
  name: string,
): SyncDocumentCollection<T> {
  const get = (id: string): T | undefined => {
    const pending = staged?.get(id);
    if (pending === DELETED) return undefined;
    return (pending ?? committed.get(id)) as T | undefined;
  };
  function* matching(where: Readonly<Record<string, unknown>> | undefined): Generator<[string, T]> {
    const ids = new Set([...committed.keys(), ...(staged?.keys() ?? [])]);
    for (const id of ids) {
      const document = get(id);
      if (document !== undefined && matches(document, where)) yield [id, document];
    }
  }
  return {
    get,
    find: (where, options) => pageInMemory(matching(where), documentQuery(options, `${name}.find()`)).items,
    page: (where, options) => pageInMemory(matching(where), documentQuery(options, `${name}.page()`, true)),
    count: (where) => [...matching(where)].length,
  };
}

function writable<T>(committed: Map<string, unknown>, staged: Staged, name: string): InlineCollection<T> {
  let pending = staged.get(name);
  if (pending === undefined) {
    pending = new Map();
    staged.set(name, pending);
  }
  const writes = pending;
  const read = view<T>(committed, writes, name);
  return {
    ...read,
    put: (id, document) => {
      writes.set(id, asJson(document, name, id));
    },
    update: (id, changes) => {
      const current = read.get(id);
      if (current === undefined) return false;
      writes.set(id, asJson({ ...current, ...changes }, name, id));
      return true;
    },
    delete: (id) => {
      writes.set(id, DELETED);
    },
  };
}

// Documents are kept as JSON gives them back, as the durable stores do: no undefined fields, no -0, no Dates.
function asJson(document: unknown, collection: string, id: string): unknown {
  const json = JSON.stringify(document);
  if (json === undefined) {
    throw new InvalidArgumentError(`Document ${id} of ${collection} must be a JSON value; got ${typeof document}`);
  }
  return JSON.parse(json);
}
