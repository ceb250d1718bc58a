import type { DocumentPage, FindOptions, PageOptions } from './document-query.js';

/** An equality filter on a collection's documents: each named top-level field must equal its value. */
export type DocumentFilter<T> = Partial<Record<keyof T & string, unknown>>;

/**
 * A document collection as a projection's handlers and query handlers see it: JSON documents by id, with equality
 * lookups on fields, ordered by a field or by id, cut to a limit, and paged with cursors. Every document store
 * (memory, SQLite, PostgreSQL, Redis) answers with promises.
 *
 * @example
 * // the last 20 movements of an account, then the 20 before them
 * const first = await movements.page({ accountId }, { orderBy: { field: 'at', direction: 'desc' }, limit: 20 });
 * const second = await movements.page({ accountId }, { orderBy: { field: 'at', direction: 'desc' }, limit: 20, after: first.next! });
 */
export interface DocumentCollection<T> {
  /** The document with this id, or undefined when there is none. */
  get(id: string): Promise<T | undefined>;
  /**
   * Documents whose fields equal every value in `where` (all documents without it), ordered by id, or as
   * `options.orderBy` says (ties by id), and at most `options.limit` of them.
   */
  find(where?: DocumentFilter<T>, options?: FindOptions<T>): Promise<T[]>;
  /**
   * One page of what `find(where, options)` answers: at most `options.limit` documents after the cursor
   * `options.after`, and `next`, the cursor of the page after (null on the last page). Paging through every
   * page sees each document that stayed unchanged meanwhile exactly once.
   */
  page(where: DocumentFilter<T> | undefined, options: PageOptions<T>): Promise<DocumentPage<T>>;
  /** Number of documents matching `where`. */
  count(where?: DocumentFilter<T>): Promise<number>;
}

/**
 * The writable view of a collection inside a projection's transaction. `put` and `delete` take effect without
 * being awaited: later reads in the transaction see them, and the commit fails if one failed.
 */
export interface WritableCollection<T> extends DocumentCollection<T> {
  /** Stores `document` under this id, replacing the one there, if any. */
  put(id: string, document: T): void;
  /** Merges `changes` into the document; resolves false when there is none with that id. */
  update(id: string, changes: Partial<T>): Promise<boolean>;
  /** Removes the document with this id; nothing happens when there is none. */
  delete(id: string): void;
}

/**
 * What a document store hands a projection's handlers: its collections, writable, inside one transaction.
 *
 * @example
 * const bookings = projection<DocumentTx>('bookings')
 *   .on(RoomBooked, (booked, tx) => tx.collection<Booking>('bookings').put(booked.bookingId, booked))
 *   .on(GuestCheckedIn, async ({ bookingId }, tx) => {
 *     await tx.collection<Booking>('bookings').update(bookingId, { status: 'checked-in' });
 *   });
 */
export interface DocumentTx {
  /** One of the projection's collections, by name; `T`, the type of its documents, is the caller's word (not checked). */
  collection<T>(name: string): WritableCollection<T>;
}

/**
 * The read side of a document store, for query handlers: the committed collections of a projection.
 *
 * @example
 * const balance = await db.documents.read(balances).collection<Balance>('balances').get(accountId);
 */
export interface DocumentReader {
  /** One of the projection's collections, by name; `T`, the type of its documents, is the caller's word (not checked). */
  collection<T>(name: string): DocumentCollection<T>;
}

/**
 * A collection as an inline projection sees it inside a synchronous write transaction (SQLite's, the in-memory
 * store's): the calls of {@link WritableCollection}, answered at once with plain values, since that transaction
 * cannot wait for a promise.
 */
export interface InlineCollection<T> {
  /** The document with this id, or undefined when there is none. */
  get(id: string): T | undefined;
  /** See {@link DocumentCollection.find}. */
  find(where?: DocumentFilter<T>, options?: FindOptions<T>): T[];
  /** See {@link DocumentCollection.page}. */
  page(where: DocumentFilter<T> | undefined, options: PageOptions<T>): DocumentPage<T>;
  /** Number of documents matching `where`. */
  count(where?: DocumentFilter<T>): number;
  /** Stores `document` under this id, replacing the one there, if any. */
  put(id: string, document: T): void;
  /** Merges `changes` into the document; returns false when there is none with that id. */
  update(id: string, changes: Partial<T>): boolean;
  /** Removes the document with this id; nothing happens when there is none. */
  delete(id: string): void;
}

/**
 * What an inline projection's handlers get on a store whose write transaction is synchronous (SQLite, memory):
 * collections that answer at once, so that a handler reads, checks and writes without awaiting. Only an inline
 * projection there takes it; asynchronous projections, PostgreSQL's inline ones and queries use {@link DocumentTx}
 * and {@link DocumentReader}.
 *
 * @example
 * const accounts = projection<InlineDocumentTx>('accounts').on(AccountOpened, ({ accountId, owner }, tx) => {
 *   const open = tx.collection<Account>('accounts');
 *   if (open.get(accountId) !== undefined) throw new DomainError('ACCOUNT_EXISTS', `Account ${accountId} exists`);
 *   open.put(accountId, { owner, balance: 0 });
 * });
 * app.projection(accounts, { inline: true });
 */
export interface InlineDocumentTx {
  /** One of the projection's collections, by name; `T`, the type of its documents, is the caller's word (not checked). */
  collection<T>(name: string): InlineCollection<T>;
}

/** The reads of an {@link InlineCollection}: what a synchronous store answers at once, before it is promised. */
export type SyncDocumentCollection<T> = Pick<InlineCollection<T>, 'get' | 'find' | 'page' | 'count'>;

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
 * The asynchronous view of a collection that answers at once: what a synchronous store (memory, SQLite) hands
 * asynchronous projections and queries. A call that throws answers with a rejected promise instead.
 */
export function promisedCollection<T>(collection: SyncDocumentCollection<T>): DocumentCollection<T> {
  return {
    get: (id) => promised(() => collection.get(id)),
    find: (where, options) => promised(() => collection.find(where, options)),
    page: (where, options) => promised(() => collection.page(where, options)),
    count: (where) => promised(() => collection.count(where)),
  };
}

/** The asynchronous writable view of an {@link InlineCollection}; `put` and `delete` still take effect at once. */
export function promisedWritable<T>(collection: InlineCollection<T>): WritableCollection<T> {
  return {
    ...promisedCollection(collection),
    put: (id, document) => collection.put(id, document),
    update: (id, changes) => promised(() => collection.update(id, changes)),
    delete: (id) => collection.delete(id),
  };
}

function promised<R>(answer: () => R): Promise<R> {
  try {
    return Promise.resolve(answer());
  } catch (error) {
    return Promise.reject(error);
  }
}
