import {
  CorruptDataError,
  type DocumentCollection,
  InvalidArgumentError,
  type WritableCollection,
} from '@twofold/core';
import { documentQuery, matches, pageInMemory } from '@twofold/core/adapters';

/** A collection's committed documents as JSON by id, and the key of their hash (for error messages). */
export interface DocumentSource {
  /** The collection's name, for error messages. */
  readonly name: string;
  get(id: string): Promise<{ readonly key: string; readonly json: string | null }>;
  all(): Promise<{ readonly key: string; readonly documents: ReadonlyMap<string, string> }>;
  size(): Promise<number>;
}

/** A transaction's staged document writes for one collection: JSON by id, or null for a delete. */
export type Staged = Map<string, string | null>;

/** A collection that reads `source` and cannot write. */
export function readOnlyCollection<T>(source: DocumentSource): DocumentCollection<T> {
  return overlay(source, new Map());
}

/** The writable collection of a transaction: the documents of `source`, overlaid with `staged`. */
export function stagedCollection<T>(source: DocumentSource, key: string, staged: Staged): WritableCollection<T> {
  const read = overlay<T>(source, staged);
  return {
    ...read,
    put: (id, document) => {
      staged.set(checkId(id), encode(document, key, id));
    },
    update: async (id, changes) => {
      checkId(id);
      const committed = staged.has(id) ? undefined : await source.get(id);
      // Staged after the read began (an update not awaited): merge into that rather than lose it.
      const json = staged.has(id) ? staged.get(id) : committed?.json;
      if (json === null || json === undefined) return false;
      staged.set(id, encode({ ...decode<T>(json, key, id), ...changes }, key, id));
      return true;
    },
    delete: (id) => {
      staged.set(checkId(id), null);
    },
  };
}

function overlay<T>(source: DocumentSource, staged: Staged): DocumentCollection<T> {
  const all = async (): Promise<{ key: string; documents: Map<string, string> }> => {
    const { key, documents: committed } = await source.all();
    const documents = new Map(committed);
    for (const [id, json] of staged) {
      if (json === null) documents.delete(id);
      else documents.set(id, json);
    }
    return { key, documents };
  };
  return {
    get: async (id) => {
      checkId(id);
      const pending = staged.get(id);
      if (pending !== undefined) return pending === null ? undefined : (JSON.parse(pending) as T);
      const { key, json } = await source.get(id);
      return json === null ? undefined : decode<T>(json, key, id);
    },
    find: async (where, options) => {
      const query = documentQuery(options, `${source.name}.find()`);
      const { key, documents } = await all();
      return pageInMemory(select<T>(documents, key, where), query).items;
    },
    page: async (where, options) => {
      const query = documentQuery(options, `${source.name}.page()`, true);
      const { key, documents } = await all();
      return pageInMemory(select<T>(documents, key, where), query);
    },
    count: async (where) => {
      if (where === undefined && staged.size === 0) return source.size();
      const { key, documents } = await all();
      return select<T>(documents, key, where).length;
    },
  };
}

// The matching documents with their ids; `find` and `page` order them.
function select<T>(
  documents: ReadonlyMap<string, string>,
  key: string,
  where: Partial<Record<keyof T & string, unknown>> | undefined,
): [string, T][] {
  const out: [string, T][] = [];
  for (const [id, json] of documents) {
    const document = decode<T>(json, key, id);
    if (matches(document, where)) out.push([id, document]);
  }
  return out;
}

function decode<T>(json: string, key: string, id: string): T {
  try {
    return JSON.parse(json) as T;
  } catch (error) {
    throw new CorruptDataError(`Document ${id} in ${key} holds corrupt JSON: ${json.slice(0, 80)}`, {
      cause: error,
    });
  }
}

function encode(document: unknown, key: string, id: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(document);
  } catch (error) {
    throw new InvalidArgumentError(`Document ${id} for ${key} cannot be stored as JSON: ${String(error)}`);
  }
  if (json === undefined) {
    throw new InvalidArgumentError(`Document ${id} for ${key} must be a JSON value; got ${typeof document}`);
  }
  return json;
}

function checkId(id: string): string {
  if (typeof id !== 'string') {
    throw new InvalidArgumentError(`A document id must be a string; got ${JSON.stringify(id) ?? String(id)}`);
  }
  return id;
}
