import {
  type DocumentFilter,
  type DocumentPage,
  type FindOptions,
  InvalidArgumentError,
  type PageOptions,
  type WritableCollection,
} from '@twofold/core';
import { documentQuery, matches, pageInMemory, type SyncDocumentCollection } from '@twofold/core/adapters';
import { type DocumentTables, documentJson } from './document-tables.js';

/** A staged delete. */
const DELETED: unique symbol = Symbol('deleted');
const UNPARSED: unique symbol = Symbol('unparsed');

/**
 * A document a batch put: its JSON text, and once a read in the batch handed it out, the value that read parsed.
 * A handler may change a value it was handed, as it may change one it put: the commit then writes the value.
 */
interface Put {
  readonly text: string;
  value: unknown;
}

/** A collection's held-back writes: a document put, or {@link DELETED}, by id. */
export type StagedWrites = Map<string, Put | typeof DELETED>;

/** The text to write for each id of `writes`, or undefined to delete the document. */
export function* stagedRows(writes: StagedWrites, name: string): Generator<[string, string | undefined]> {
  for (const [id, put] of writes) {
    if (put === DELETED) yield [id, undefined];
    else yield [id, put.value === UNPARSED ? put.text : documentJson(put.value, id, name)];
  }
}

/**
 * A collection as a projection's handlers see it while a batch's writes are held back in `writes`: the committed
 * table (`table`, read through `committed`; none before the collection is first written) overlaid with them.
 * Reads answer with promises, already settled; what a put stores is its JSON text, parsed only when read back.
 */
export class StagedCollection<T> implements WritableCollection<T> {
  readonly #committed: DocumentTables | undefined;
  readonly #reads: SyncDocumentCollection<T> | undefined;
  readonly #table: string;
  readonly #writes: StagedWrites;
  readonly #name: string;

  constructor(committed: DocumentTables | undefined, table: string, writes: StagedWrites, name: string) {
    this.#committed = committed;
    this.#reads = committed?.read<T>(table);
    this.#table = table;
    this.#writes = writes;
    this.#name = name;
  }

  async get(id: string): Promise<T | undefined> {
    return this.#get(id);
  }

  async find(where?: DocumentFilter<T>, options?: FindOptions<T>): Promise<T[]> {
    if (this.#writes.size === 0 && this.#reads !== undefined) return this.#reads.find(where, options);
    return pageInMemory(this.#entries(where), documentQuery(options, `${this.#name} find()`)).items;
  }

  async page(where: DocumentFilter<T> | undefined, options: PageOptions<T>): Promise<DocumentPage<T>> {
    if (this.#writes.size === 0 && this.#reads !== undefined) return this.#reads.page(where, options);
    return pageInMemory(this.#entries(where), documentQuery(options, `${this.#name} page()`, true));
  }

  async count(where?: DocumentFilter<T>): Promise<number> {
    return this.#entries(where).length;
  }

  put(id: string, document: T): void {
    this.#writes.set(this.#checkId(id), { text: documentJson(document, id, this.#name), value: UNPARSED });
  }

  async update(id: string, changes: Partial<T>): Promise<boolean> {
    const current = this.#get(id);
    if (current === undefined) return false;
    this.put(id, { ...current, ...changes });
    return true;
  }

  delete(id: string): void {
    this.#writes.set(this.#checkId(id), DELETED);
  }

  #get(id: string): T | undefined {
    const put = this.#writes.get(this.#checkId(id));
    if (put === undefined) return this.#reads?.get(id);
    return put === DELETED ? undefined : (handOut(put) as T);
  }

  // With nothing staged in this collection, reads go to the table and its indexes; otherwise they merge.
  #entries(where: DocumentFilter<T> | undefined): [string, T][] {
    const out = new Map<string, T>();
    const writes = this.#writes;
    if (this.#committed !== undefined) {
      for (const [id, document] of this.#committed.entries(this.#table, where)) {
        if (!writes.has(id)) out.set(id, document as T);
      }
    }
    for (const [id, put] of writes) {
      if (put === DELETED) continue;
      const document = handOut(put);
      if (matches(document, where)) out.set(id, document as T);
    }
    return [...out];
  }

  #checkId(id: string): string {
    if (typeof id !== 'string') {
      throw new InvalidArgumentError(`A document id in ${this.#name} must be a string; got ${String(id)}`);
    }
    return id;
  }
}

function handOut(put: Put): unknown {
  if (put.value === UNPARSED) put.value = JSON.parse(put.text);
  return put.value;
}
