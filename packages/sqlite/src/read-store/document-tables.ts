import {
  CorruptDataError,
  type DocumentPage,
  type InlineCollection,
  InvalidArgumentError,
  type PageOptions,
  type ProjectionSlot,
} from '@twofold/core';
import {
  cut,
  type DocumentQuery,
  documentQuery,
  matches,
  pageInMemory,
  type SyncDocumentCollection,
} from '@twofold/core/adapters';
import { quoteIdentifier, type SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';
import { type CompiledWhere, compileOrder, compileWhere, fieldExpression, orderExpression } from './document-query.js';

type Where = Readonly<Record<string, unknown>> | undefined;
interface Row {
  readonly id: string;
  readonly document: string;
}

const PUT =
  'INSERT INTO {table} (id, document) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET document = excluded.document';
const DELETE = 'DELETE FROM {table} WHERE id = ?';

/** A document's JSON text; anything JSON cannot hold fails with INVALID_ARGUMENT naming the document and `where`. */
export function documentJson(document: unknown, id: string, where: string): string {
  const text = JSON.stringify(document);
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`Document ${id} of ${where} must be a JSON value; got ${typeof document}`);
  }
  return text;
}

/** The table holding one collection of one slot. */
export function documentTable(slot: ProjectionSlot, collection: string): string {
  return `twofold_doc:${slot.projection}@${slot.version}:${collection}`;
}

/** A collection that does not exist yet: what queries see before a projection wrote to it. */
export const emptyCollection: SyncDocumentCollection<never> = {
  get: () => undefined,
  find: (_where, options) => pageInMemory<never>([], documentQuery(options, 'find()')).items,
  page: (_where, options) => pageInMemory<never>([], documentQuery(options, 'page()', true)),
  count: () => 0,
};

/**
 * The document tables of one connection: creates them with their declared indexes, drops them, and runs the
 * collection operations with statements prepared once per table.
 */
export class DocumentTables {
  readonly #db: SqliteConnection;
  readonly #statements = new Map<string, Map<string, Statement>>();
  readonly #exists: Statement<[string, number, string], number>;
  readonly #register: Statement<[string, number, string]>;
  readonly #indexes: Statement<[string, string], string>;
  readonly #collections: Statement<[string, number], string>;
  readonly #unregister: Statement<[string, number]>;
  #changes = 0;

  constructor(db: SqliteConnection) {
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

  /** Creates an index as `index()` stored it: equality fields, or those and an order field. */
  createIndex(
    table: string,
    spec: readonly string[] | { readonly fields: readonly string[]; readonly orderBy: string },
  ): void {
    const ordered = 'orderBy' in spec ? spec : undefined;
    const fields = ordered?.fields ?? (spec as readonly string[]);
    const orderBy = ordered?.orderBy;
    const expressions = fields.map(fieldExpression);
    let name = `${table}:by:${fields.join(',')}`;
    if (orderBy !== undefined) {
      expressions.push(orderExpression(orderBy));
      name += `:order:${orderBy}`;
    }
    this.#db.exec(
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(name)} ON ${quoteIdentifier(table)} (${expressions.join(', ')})`,
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

  read<T>(table: string): SyncDocumentCollection<T> {
    const select = (where: Where, query: DocumentQuery, extra: number): DocumentPage<T> => {
      const compiled = compileWhere(where);
      if (compiled === undefined) {
        return pageInMemory(this.entries(table, where) as [string, T][], query);
      }
      const { order, clause } = ordered(compiled, query, extra);
      const rows = this.#entries(
        table,
        `${compiled.key}|${order.key}`,
        clause,
        [...compiled.params, ...order.afterParams, ...order.limitParam],
        order.tail,
      );
      return cut(rows as [string, T][], query);
    };
    return {
      get: (id) => {
        const text = this.#statement(table, 'get', 'SELECT document FROM {table} WHERE id = ?', true).get(id);
        return text === undefined ? undefined : (parse(table, id, text as string) as T);
      },
      find: (where, options) => select(where, documentQuery(options, `${table} find()`), 0).items,
      page: (where, options) => select(where, documentQuery(options, `${table} page()`, true), 1),
      count: (where) => {
        const compiled = compileWhere(where);
        if (compiled === undefined) return select(where, documentQuery(undefined, `${table} count()`), 0).items.length;
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

  write<T>(table: string): InlineCollection<T> {
    const read = this.read<T>(table);
    const put = (id: string, document: T) => {
      this.#statement(table, 'put', PUT).run(id, documentJson(document, id, table));
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
        this.#statement(table, 'delete', DELETE).run(id);
      },
    };
  }

  /** The documents of `table` whose fields equal every value in `where`, with their ids, in no promised order. */
  entries(table: string, where: Where): [string, unknown][] {
    const compiled = compileWhere(where);
    return compiled === undefined
      ? this.#entries(table, '*', '', [], '').filter(([, document]) => matches(document, where))
      : this.#entries(table, compiled.key, compiled.clause, compiled.params, '');
  }

  /**
   * How SQLite plans the page `page(where, options)` reads from `table`, step by step (EXPLAIN QUERY PLAN): what
   * a test checks reads an index range and sorts nothing.
   */
  plan(table: string, where: Where, options: PageOptions<never>): string[] {
    const compiled = compileWhere(where);
    if (compiled === undefined) return ['filtered in memory'];
    const query = documentQuery(options, 'plan()', true);
    const { order, clause } = ordered(compiled, query, 1);
    return this.#db
      .prepare(`EXPLAIN QUERY PLAN SELECT id, document FROM ${quoteIdentifier(table)} ${clause} ${order.tail}`)
      .all(...compiled.params, ...order.afterParams, ...order.limitParam)
      .map((row) => (row as { detail: string }).detail);
  }

  /** Writes a batch's rows to `table`: a document's JSON text by id, or undefined to delete it. Inside a write transaction. */
  apply(table: string, rows: Iterable<[string, string | undefined]>): void {
    const put = this.#statement(table, 'put', PUT);
    const remove = this.#statement(table, 'delete', DELETE);
    for (const [id, text] of rows) {
      if (text === undefined) remove.run(id);
      else put.run(id, text);
    }
  }

  #entries(table: string, key: string, clause: string, params: readonly unknown[], tail: string): [string, unknown][] {
    const statement = this.#statement(table, `find:${key}`, `SELECT id, document FROM {table} ${clause} ${tail}`);
    return (statement.all(...params) as Row[]).map((row) => [row.id, parse(table, row.id, row.document)]);
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

// The filter's and the cursor's conditions together, and the order and limit after them.
function ordered(compiled: CompiledWhere, query: DocumentQuery, extra: number) {
  const order = compileOrder(query, extra);
  const conditions = [compiled.clause.replace(/^WHERE /, ''), order.after].filter((c) => c !== '');
  return { order, clause: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}` };
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
