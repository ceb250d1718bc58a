import {
  type DocumentCollection,
  type DocumentIndex,
  type DocumentPage,
  type DocumentReader,
  type DocumentStore,
  type DocumentTx,
  type InlineDocumentStore,
  InvalidArgumentError,
  type ProjectionSlot,
  type WritableCollection,
} from '@twofold/core';
import { cut, type DocumentQuery, documentIndex, documentQuery } from '@twofold/core/adapters';
import type { PostgresClient, SchemaPool } from '../connection/schema-pool.js';
import { filter, literal, orderKeys, selectStatement } from './document-query.js';
import { type ProjectionRef, projectionName, VersionedReadStore } from './versioned-read-store.js';

type Where = Readonly<Record<string, unknown>> | undefined;

/** A transaction's document handle, with the writes it sent and has not yet seen answered. */
interface Handle extends DocumentTx {
  readonly pending: Promise<unknown>[];
}

// A query's rows, whichever version it reads: `scope` is either the slot's version or the active one.
const ACTIVE = '(SELECT version FROM twofold_projection_active WHERE projection = $1)';

/**
 * The PostgreSQL document read store: each projection keeps collections of JSON documents (jsonb), its
 * checkpoint moves in the same transaction as its documents, and a rebuilt version is swapped in atomically.
 * Several nodes can share it: the slot's row is locked while a batch is applied, so a batch is applied once.
 * `find` and `count` filter on top-level fields; declare an index with {@link PostgresDocumentStore.index} for the
 * fields a query filters on.
 *
 * It is the `documents` of a database handle:
 *
 * @example
 * const db = await postgres({ connection: process.env.DATABASE_URL! });
 * await db.documents.index(bookingsView, 'bookings', ['guestId']);
 * new ProjectionRunner({ projection: bookingsView, store: db.documents, feed: db.events }).start();
 * mediator.query(GuestBookings, ({ guestId }) => db.documents.read(bookingsView).collection<Booking>('bookings').find({ guestId }));
 */
export class PostgresDocumentStore
  extends VersionedReadStore<DocumentTx>
  implements DocumentStore<PostgresClient, DocumentTx>
{
  /** The store on a database handle's pool, whose tables the handle has migrated. */
  constructor(db: SchemaPool) {
    super(db, 'PostgresDocumentStore');
  }

  /**
   * The store as inline projections see it: the store itself, since PostgreSQL's write transaction is
   * asynchronous, so inline projections get a `DocumentTx` as the others do. Only with the same handle's `events`.
   */
  get inline(): InlineDocumentStore<PostgresClient, DocumentTx> {
    return this;
  }

  /**
   * Declares an index on top-level fields of a collection, for every version of the projection, so that `find`
   * and `count` by those fields need not scan. With `orderBy`, the index also orders the documents matching those
   * fields by that field (then id), so that a page ordered by it (`page`, or `find` with a limit) reads only its
   * own rows, however many match. Declaring it again is harmless.
   *
   * @example
   * await views.index('bookings', 'bookings', ['roomId', 'from']);
   * await views.index('bookings', 'bookings', { fields: ['guestId'], orderBy: 'bookedAt' });
   */
  async index(projection: ProjectionRef, collection: string, fields: DocumentIndex): Promise<void> {
    const name = projectionName(projection);
    checkName(collection, 'A collection name');
    const spec = documentIndex(fields, `PostgresDocumentStore.index('${name}', '${collection}')`);
    const stored = spec.orderBy === undefined ? spec.fields : { fields: spec.fields, orderBy: spec.orderBy };
    const { rows } = await this.db.query<{ hash: string }>('SELECT md5($1) AS hash', [
      JSON.stringify([name, collection, stored]),
    ]);
    const indexName = `twofold_documents_${rows[0]!.hash.slice(0, 24)}`;
    const keys = spec.fields.map((f) => `(data -> ${literal(f)})`);
    if (spec.orderBy !== undefined) keys.push(...orderKeys(`(data -> ${literal(spec.orderBy)})`));
    const expressions = keys.join(', ');
    await this.db.transaction(async (tx) => {
      // CREATE INDEX IF NOT EXISTS is not safe for two nodes at once: they take turns.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [indexName]);
      await tx.query(
        `CREATE INDEX IF NOT EXISTS ${indexName} ON twofold_documents (version, ${expressions}, id)
         WHERE projection = ${literal(name)} AND collection = ${literal(collection)}`,
      );
      await tx.query(
        'INSERT INTO twofold_document_indexes (projection, collection, fields) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [name, collection, JSON.stringify(stored)],
      );
    });
  }

  /**
   * The collections of a projection's active version, for query handlers: what has been committed. Each call
   * reads the active version and its documents in one statement, so a swap never shows half of either.
   */
  read(projection: ProjectionRef): DocumentReader {
    const name = projectionName(projection);
    return {
      collection: <T>(collection: string) =>
        documents<T>((text, values) => this.db.query(text, values), name, ACTIVE, checkName(collection)),
    };
  }

  protected override async createSlot(): Promise<void> {
    // Collections are created as they are first written.
  }

  protected override async dropSlot(tx: PostgresClient, slot: ProjectionSlot): Promise<void> {
    await tx.query('DELETE FROM twofold_documents WHERE projection = $1 AND version = $2', [
      slot.projection,
      slot.version,
    ]);
  }

  protected override projectionTx(tx: PostgresClient, slot: ProjectionSlot): Handle {
    const pending: Promise<unknown>[] = [];
    const version = String(slot.version);
    // One statement at a time on the transaction's client, in the order they were asked for: a put is not awaited
    // by the handler, and a read after it must see it. The client is never handed a query while one is running.
    let last: Promise<unknown> = Promise.resolve();
    const run = (text: string, values: unknown[]) => {
      const result = last.then(() => tx.query(text, values));
      last = result.catch(() => {});
      return result;
    };
    const send = (text: string, values: unknown[]) => {
      const sent = run(text, values);
      sent.catch(() => {});
      pending.push(sent);
    };
    return {
      pending,
      collection: <T>(name: string): WritableCollection<T> => {
        const collection = checkName(name, 'A collection name');
        const key = (id: string) => [slot.projection, slot.version, collection, checkId(id)];
        return {
          ...documents<T>(run, slot.projection, version, collection),
          put: (id, document) =>
            send(
              `INSERT INTO twofold_documents (projection, version, collection, id, data) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (projection, version, collection, id) DO UPDATE SET data = excluded.data`,
              [...key(id), encode(document, collection, id)],
            ),
          update: async (id, changes) => {
            const { rowCount } = await run(
              `UPDATE twofold_documents SET data = data || $5::jsonb
               WHERE projection = $1 AND version = $2 AND collection = $3 AND id = $4`,
              [...key(id), encode(changes, collection, id)],
            );
            return rowCount === 1;
          },
          delete: (id) =>
            send(
              'DELETE FROM twofold_documents WHERE projection = $1 AND version = $2 AND collection = $3 AND id = $4',
              key(id),
            ),
        };
      },
    };
  }

  protected override async settle(handle: DocumentTx): Promise<void> {
    const { pending } = handle as Handle;
    await Promise.all(pending.splice(0));
  }
}

type Run = (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>;

// The reads of one collection of one projection; `version` is SQL: a literal, or the active-version subquery.
function documents<T>(run: Run, projection: string, version: string, collection: string): DocumentCollection<T> {
  const scope = `projection = $1 AND version = ${version} AND collection = $2`;
  const select = async (where: Where, query: DocumentQuery, extra: number): Promise<DocumentPage<T>> => {
    const { text, values } = selectStatement({ scope, projection, collection, where, query, extra });
    const { rows } = await run(text, values);
    return cut(
      (rows as { id: string; data: T }[]).map((row) => [row.id, row.data] as const),
      query,
    );
  };
  return {
    get: async (id) => {
      const { rows } = await run(`SELECT data FROM twofold_documents WHERE ${scope} AND id = $3`, [
        projection,
        collection,
        checkId(id),
      ]);
      return (rows[0] as { data: T } | undefined)?.data;
    },
    find: async (where, options) => (await select(where, documentQuery(options, `${collection}.find()`), 0)).items,
    page: (where, options) => select(where, documentQuery(options, `${collection}.page()`, true), 1),
    count: async (where) => {
      const values: unknown[] = [projection, collection];
      const sql = `SELECT count(*)::int AS n FROM twofold_documents WHERE ${scope}${filter(where, values, collection)}`;
      const { rows } = await run(sql, values);
      return (rows[0] as { n: number }).n;
    },
  };
}

// JSON text escapes a NUL as \u0000 and a backslash as \\: a NUL is the escape after an even run of backslashes,
// so the six characters `\u0000` written as text (an escaped backslash, then u0000) are storable.
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

function encode(document: unknown, collection: string, id: string): string {
  const json = JSON.stringify(document);
  if (json === undefined || document === null || typeof document !== 'object') {
    throw new InvalidArgumentError(`Document '${id}' for ${collection} must be a JSON object; got ${String(document)}`);
  }
  if (ESCAPED_NUL.test(json)) {
    throw new InvalidArgumentError(
      `Document '${id}' for ${collection} holds a NUL character, which jsonb cannot store`,
    );
  }
  return json;
}

function checkId(id: string): string {
  if (typeof id !== 'string') throw new InvalidArgumentError(`A document id must be a string; got ${String(id)}`);
  return id;
}

function checkName(name: string, what = 'A collection name'): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError(`${what} must be a non-empty string; got ${JSON.stringify(name)}`);
  }
  return name;
}
