import type { DocumentPage, FindOptions, PageOptions } from './document-query.js';

/** An equality filter on a collection's documents: each named top-level field must equal its value. */
export type DocumentFilter<T> = Partial<Record<keyof T & string, unknown>>;

/**
 * A document collection as a projection writes it inside a transaction, and as a query reads it: JSON documents
 * by id, with equality lookups on fields, ordered by a field or by id, cut to a limit, and paged with cursors.
 * The SQLite read store backs it with a table and indexes; the in-memory one with maps.
 *
 * @example
 * // the last 20 movements of an account, then the 20 before them
 * const first = movements.page({ accountId }, { orderBy: { field: 'at', direction: 'desc' }, limit: 20 });
 * const second = movements.page({ accountId }, { orderBy: { field: 'at', direction: 'desc' }, limit: 20, after: first.next! });
 */
export interface DocumentCollection<T> {
  get(id: string): T | undefined;
  /**
   * Documents whose fields equal every value in `where` (all documents without it), ordered by id, or as
   * `options.orderBy` says (ties by id), and at most `options.limit` of them.
   */
  find(where?: DocumentFilter<T>, options?: FindOptions<T>): T[];
  /**
   * One page of what `find(where, options)` answers: at most `options.limit` documents after the cursor
   * `options.after`, and `next`, the cursor of the page after (null on the last page). Paging through every
   * page sees each document that stayed unchanged meanwhile exactly once.
   */
  page(where: DocumentFilter<T> | undefined, options: PageOptions<T>): DocumentPage<T>;
  /** Number of documents matching `where`. */
  count(where?: DocumentFilter<T>): number;
}

/** The writable view of a collection a projection gets inside its transaction. */
export interface WritableCollection<T> extends DocumentCollection<T> {
  put(id: string, document: T): void;
  /** Merges `changes` into the document; returns false when there is none with that id. */
  update(id: string, changes: Partial<T>): boolean;
  delete(id: string): void;
}

/** What a document store hands a projection's handlers: its collections, writable, inside one transaction. */
export interface DocumentTx {
  collection<T>(name: string): WritableCollection<T>;
}

/** The read side of a document store, for query handlers. */
export interface DocumentReader {
  collection<T>(name: string): DocumentCollection<T>;
}

/** True when `document` has every field value of `where` (compared with ===, or as JSON for objects). */
export function matches(document: unknown, where: Readonly<Record<string, unknown>> | undefined): boolean {
  if (where === undefined) return true;
  const fields = document as Record<string, unknown>;
  for (const key of Object.keys(where)) {
    const want = where[key];
    const have = fields[key];
    if (have === want) continue;
    if (typeof want !== 'object' || want === null || JSON.stringify(have) !== JSON.stringify(want)) return false;
  }
  return true;
}

/**
 * A document collection in a store reached over the network (PostgreSQL, Redis): the same calls as
 * {@link DocumentCollection}, answered asynchronously.
 */
export interface AsyncDocumentCollection<T> {
  get(id: string): Promise<T | undefined>;
  /** See {@link DocumentCollection.find}. */
  find(where?: DocumentFilter<T>, options?: FindOptions<T>): Promise<T[]>;
  /** See {@link DocumentCollection.page}. */
  page(where: DocumentFilter<T> | undefined, options: PageOptions<T>): Promise<DocumentPage<T>>;
  /** Number of documents matching `where`. */
  count(where?: DocumentFilter<T>): Promise<number>;
}

/**
 * The writable view of an asynchronous collection inside a projection's transaction. `put` and `delete` are
 * sent at once without waiting; later reads in the transaction see them, and the commit fails if one failed.
 */
export interface AsyncWritableCollection<T> extends AsyncDocumentCollection<T> {
  put(id: string, document: T): void;
  /** Merges `changes` into the document; resolves false when there is none with that id. */
  update(id: string, changes: Partial<T>): Promise<boolean>;
  delete(id: string): void;
}

/** What an asynchronous document store hands a projection's handlers inside one transaction. */
export interface AsyncDocumentTx {
  collection<T>(name: string): AsyncWritableCollection<T>;
}

/** The read side of an asynchronous document store, for query handlers. */
export interface AsyncDocumentReader {
  collection<T>(name: string): AsyncDocumentCollection<T>;
}

/** A value, or a promise of it: what a collection answers, on a synchronous or an asynchronous store. */
export type Awaitable<T> = T | Promise<T>;

/**
 * A collection as a handler sees it when the projection is written once for every document store: SQLite and
 * memory answer with plain values, PostgreSQL and Redis with promises. `await` each answer (or use
 * {@link andThen} where the handler must stay synchronous, as inline projections on SQLite must).
 */
export type PortableCollection<T> = DocumentCollection<T> | AsyncDocumentCollection<T>;

/** The writable view of a {@link PortableCollection} inside a projection's transaction. */
export type PortableWritableCollection<T> = WritableCollection<T> | AsyncWritableCollection<T>;

/**
 * What a projection written for every document store gets: `projection<PortableDocumentTx>(…)` runs on memory,
 * SQLite, PostgreSQL and Redis alike. Its collections answer with plain values or with promises: `await` them.
 *
 * @example
 * const bookings = projection<PortableDocumentTx>('bookings').on(GuestCheckedIn, async ({ bookingId }, tx) => {
 *   await tx.collection<Booking>('bookings').update(bookingId, { status: 'checked-in' });
 * });
 */
export type PortableDocumentTx = DocumentTx | AsyncDocumentTx;

/** The read side of any document store, for query handlers that `await` what it answers. */
export type PortableDocumentReader = DocumentReader | AsyncDocumentReader;

/**
 * Continues with `next` at once when `value` is a plain value, or once it resolves when it is a promise: code
 * that stays synchronous on a synchronous store and chains on an asynchronous one.
 *
 * @example
 * return andThen(tx.collection<Located>('bookings').get(bookingId), (found) => {
 *   if (found !== undefined) throw new DomainError('BOOKING_EXISTS', `Booking ${bookingId} exists`);
 * });
 */
export function andThen<T, R>(value: Awaitable<T>, next: (value: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Calls `step` on each item in order, synchronously while it returns plain values, awaiting it once it does not. */
export function eachInOrder<T>(items: readonly T[], step: (item: T) => void | Promise<void>): void | Promise<void> {
  for (let i = 0; i < items.length; i++) {
    const done = step(items[i]!);
    if (done instanceof Promise) return done.then(() => eachInOrder(items.slice(i + 1), step));
  }
}
