import {
  CorruptDataError,
  type DocumentCollection,
  InvalidArgumentError,
  type ProjectionSlot,
  type WritableCollection,
} from '@twofold/core';
import { matches } from '@twofold/core/adapters';
import { quoteIdentifier, type SqliteTx } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';
import { compileWhere, fieldExpression } from './document-query.js';

type Where = Readonly<Record<string, unknown>> | undefined;
interface Row {
  readonly id: string;
  readonly document: string;
}

/** A staged delete; see {@link DocumentTables.staged}. */
export const DELETED: unique symbol = Symbol('deleted');

function checkId(id: string, collection: string): string {
  if (typeof id !== 'string') {
    throw new InvalidArgumentError(`A document id in ${collection} must be a string; got ${String(id)}`);
  }
  return id;
}

/** The table holding one collection of one slot. */
export function documentTable(slot: ProjectionSlot, collection: string): string {
  return `twofold_doc:${slot.projection}@${slot.version}:${collection}`;
}

/** A collection that does not exist yet: what queries see before a projection wrote to it. */
export const emptyCollection: DocumentCollection<never> = { get: () => undefined, find: () => [], count: () => 0 };

/**
 * The document tables of one connection: creates them with their declared indexes, drops them, and runs the
 * collection operations with statements prepared once per table.
 */
export class DocumentTables {
  readonly #db: SqliteTx;
  readonly #statements = new Map<string, Map<string, Statement>>();
  readonly #exists: Statement<[string, number, string], number>;
  readonly #register: Statement<[string, number, string]>;
  readonly #indexes: Statement<[string, string], string>;
  readonly #collections: Statement<[string, number], string>;
  readonly #unregister: Statement<[string, number]>;
  #changes = 0;

  constructor(db: SqliteTx) {
    this.#db = db;
    this.#exists = db
      .prepare<[string, number, string], number>(
        'SELECT 1 FROM twofold_document_collections WHERE projection = ? AND version = ? AND collection = ?',
      )
      .pluck();
    this.#register = db.prepare(
      'INSERT INTO twofold_document_collections (projection, version, collection) VALUES (?, ?, ?)',
    );
    this.#indexes = db
      .prepare<[string, string], string>(
        'SELECT fields FROM twofold_document_indexes WHERE projection = ? AND collection = ?',
      )
      .pluck();
    this.#collections = db
      .prepare<[string, number], string>(
        'SELECT collection FROM twofold_document_collections WHERE projection = ? AND version = ?',
      )
      .pluck();
    this.#unregister = db.prepare('DELETE FROM twofold_document_collections WHERE projection = ? AND version = ?');
  }

  /** Counts the collections this connection created or dropped, so that what was looked up before can be redone. */
  get changes(): number {
    return this.#changes;
  }

  exists(slot: ProjectionSlot, collection: string): boolean {
    return this.#exists.get(slot.projection, slot.version, collection) !== undefined;
  }

  /** Creates the collection's table and its declared indexes unless it exists. Inside a write transaction. */
  ensure(slot: ProjectionSlot, collection: string): void {
    if (typeof collection !== 'string' || collection.length === 0) {
      throw new InvalidArgumentError('A collection name must be a non-empty string');
    }
    if (this.exists(slot, collection)) return;
    this.#changes++;
    const table = documentTable(slot, collection);
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (id TEXT PRIMARY KEY, document TEXT NOT NULL) WITHOUT ROWID`,
    );
    this.#register.run(slot.projection, slot.version, collection);
    for (const fields of this.#indexes.all(slot.projection, collection)) this.createIndex(table, JSON.parse(fields));
  }

  createIndex(table: string, fields: readonly string[]): void {
    const name = quoteIdentifier(`${table}:by:${fields.join(',')}`);
    this.#db.exec(
      `CREATE INDEX IF NOT EXISTS ${name} ON ${quoteIdentifier(table)} (${fields.map(fieldExpression).join(', ')})`,
    );
  }

  /** Drops every collection of a slot. Inside a write transaction. */
  drop(slot: ProjectionSlot): void {
    this.#changes++;
    for (const collection of this.#collections.all(slot.projection, slot.version)) {
      const table = documentTable(slot, collection);
      this.#db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
      this.#statements.delete(table);
    }
    this.#unregister.run(slot.projection, slot.version);
  }

  /** The versions of a projection that have the collection. */
  versionsWith(projection: string, collection: string): number[] {
    return this.#db
      .prepare<[string, string], number>(
        'SELECT version FROM twofold_document_collections WHERE projection = ? AND collection = ?',
      )
      .pluck()
      .all(projection, collection);
  }

  read<T>(table: string): DocumentCollection<T> {
    const rows = (where: Where): T[] => {
      const compiled = compileWhere(where);
      if (compiled === undefined) {
        return this.#rows(table, '*', '', []).filter((document) => matches(document, where)) as T[];
      }
      return this.#rows(table, compiled.key, compiled.clause, compiled.params) as T[];
    };
    return {
      get: (id) => {
        const text = this.#statement(table, 'get', 'SELECT document FROM {table} WHERE id = ?', true).get(id);
        return text === undefined ? undefined : (parse(table, id, text as string) as T);
      },
      find: (where) => rows(where),
      count: (where) => {
        const compiled = compileWhere(where);
        if (compiled === undefined) return rows(where).length;
        const statement = this.#statement(
          table,
          `count:${compiled.key}`,
          `SELECT count(*) FROM {table} ${compiled.clause}`,
          true,
        );
        return statement.get(...compiled.params) as number;
      },
    };
  }

  write<T>(table: string): WritableCollection<T> {
    const read = this.read<T>(table);
    const put = (id: string, document: T) => {
      const text = JSON.stringify(document);
      if (typeof text !== 'string') {
        throw new InvalidArgumentError(`Document ${id} of ${table} must be a JSON value; got ${typeof document}`);
      }
      this.#statement(
        table,
        'put',
        'INSERT INTO {table} (id, document) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET document = excluded.document',
      ).run(id, text);
    };
    return {
      ...read,
      put,
      update: (id, changes) => {
        const current = read.get(id);
        if (current === undefined) return false;
        put(id, { ...current, ...changes });
        return true;
      },
      delete: (id) => {
        this.#statement(table, 'delete', 'DELETE FROM {table} WHERE id = ?').run(id);
      },
    };
  }

  /**
   * A collection as a projection sees it while its writes are held back in `staged` (a document by id, or
   * {@link DELETED}): the committed table (if `table` exists yet) overlaid with them. Reads are synchronous.
   */
  staged<T>(table: string | undefined, staged: Map<string, unknown>, name: string): WritableCollection<T> {
    const committed = table === undefined ? undefined : this.read<T>(table);
    const entries = (where: Where): [string, T][] => {
      const out = new Map<string, T>();
      if (table !== undefined) {
        const compiled = compileWhere(where);
        const rows =
          compiled === undefined
            ? this.#entries(table, '*', '', []).filter(([, document]) => matches(document, where))
            : this.#entries(table, compiled.key, compiled.clause, compiled.params);
        for (const [id, document] of rows) if (!staged.has(id)) out.set(id, document as T);
      }
      for (const [id, document] of staged) {
        if (document !== DELETED && matches(document, where)) out.set(id, document as T);
      }
      return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    };
    const get = (id: string): T | undefined => {
      checkId(id, name);
      if (staged.has(id)) {
        const document = staged.get(id);
        return document === DELETED ? undefined : (document as T);
      }
      return committed?.get(id);
    };
    const put = (id: string, document: T) => {
      checkId(id, name);
      const text = JSON.stringify(document);
      if (typeof text !== 'string') {
        throw new InvalidArgumentError(`Document ${id} of ${name} must be a JSON value; got ${typeof document}`);
      }
      staged.set(id, JSON.parse(text));
    };
    return {
      get,
      find: (where) => entries(where).map(([, document]) => document),
      count: (where) => entries(where).length,
      put,
      update: (id, changes) => {
        const current = get(id);
        if (current === undefined) return false;
        put(id, { ...current, ...changes });
        return true;
      },
      delete: (id) => {
        staged.set(checkId(id, name), DELETED);
      },
    };
  }

  /** Writes a collection's staged documents (see {@link staged}) to its table. Inside a write transaction. */
  apply(table: string, staged: ReadonlyMap<string, unknown>): void {
    const write = this.write<unknown>(table);
    for (const [id, document] of staged) {
      if (document === DELETED) write.delete(id);
      else write.put(id, document);
    }
  }

  #entries(table: string, key: string, clause: string, params: readonly string[]): [string, unknown][] {
    const statement = this.#statement(table, `find:${key}`, `SELECT id, document FROM {table} ${clause} ORDER BY id`);
    return (statement.all(...params) as Row[]).map((row) => [row.id, parse(table, row.id, row.document)]);
  }

  #rows(table: string, key: string, clause: string, params: readonly string[]): unknown[] {
    const statement = this.#statement(table, `find:${key}`, `SELECT id, document FROM {table} ${clause} ORDER BY id`);
    return (statement.all(...params) as Row[]).map((row) => parse(table, row.id, row.document));
  }

  // `{table}` in `sql` stands for the quoted table name. A statement that plucks does so from the start, rather
  // than being switched to it (a call into the driver) on every run.
  #statement(table: string, key: string, sql: string, pluck = false): Statement {
    let statements = this.#statements.get(table);
    if (statements === undefined) {
      statements = new Map();
      this.#statements.set(table, statements);
    }
    let statement = statements.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare(sql.replace('{table}', quoteIdentifier(table)));
      if (pluck) statement.pluck();
      statements.set(key, statement);
    }
    return statement;
  }
}

function parse(table: string, id: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CorruptDataError(`Document ${id} in ${table} holds corrupt JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
