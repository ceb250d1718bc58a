/**
 * A document collection as a projection writes it inside a transaction, and as a query reads it: JSON documents
 * by id, with simple equality lookups on fields. The SQLite read store backs it with a table and indexes; the
 * in-memory one with maps.
 */
export interface DocumentCollection<T> {
  get(id: string): T | undefined;
  /** Documents whose fields equal every value in `where` (all documents without it), ordered by id. */
  find(where?: Partial<Record<keyof T & string, unknown>>): T[];
  /** Number of documents matching `where`. */
  count(where?: Partial<Record<keyof T & string, unknown>>): number;
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
  /** Documents whose fields equal every value in `where` (all documents without it), ordered by id. */
  find(where?: Partial<Record<keyof T & string, unknown>>): Promise<T[]>;
  /** Number of documents matching `where`. */
  count(where?: Partial<Record<keyof T & string, unknown>>): Promise<number>;
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
