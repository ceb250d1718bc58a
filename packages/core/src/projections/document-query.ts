import { InvalidArgumentError } from '../errors/errors.js';
import { compareText } from '../runtime/text-order.js';

/** The most documents one `find` or `page` call answers: a larger `limit` is refused. */
export const MAX_DOCUMENT_LIMIT = 1000;

/**
 * The order of a query's documents: by one top-level field, ascending unless `direction` is `'desc'`, ties broken
 * by document id (in the same direction), so that the order is total and pages are stable.
 *
 * Every store orders a field the same way when it holds numbers, or strings, or is missing or null: missing and
 * null first, then numbers by value, then strings by Unicode code point (ascending; the reverse descending).
 * Booleans, arrays and objects have a place that depends on the store: keep order fields to numbers and strings.
 */
export interface DocumentOrder<T> {
  readonly field: keyof T & string;
  readonly direction?: 'asc' | 'desc' | undefined;
}

/**
 * How `find` orders and cuts its answer: by id when no `orderBy` is given, every match unless a `limit` (1 to
 * {@link MAX_DOCUMENT_LIMIT}) is given.
 *
 * @example
 * // the last 20 movements of an account
 * movements.find({ accountId }, { orderBy: { field: 'at', direction: 'desc' }, limit: 20 });
 */
export interface FindOptions<T> {
  readonly orderBy?: DocumentOrder<T> | undefined;
  readonly limit?: number | undefined;
}

/** One page of a keyset-paged query: at most `limit` documents, those after the cursor `after` in the order. */
export interface PageOptions<T> extends FindOptions<T> {
  readonly limit: number;
  /** The `next` of the page before, for the same order; none for the first page. */
  readonly after?: string | undefined;
}

/** A page of documents, and the cursor of the page after it: null when this one is the last. */
export interface DocumentPage<T> {
  readonly items: T[];
  readonly next: string | null;
}

/** A document's place in an order: its order field's value (undefined when missing), and its id. */
export interface OrderPosition {
  readonly value: unknown;
  readonly id: string;
}

/** A query's options, checked: what a store needs to run it. */
export interface DocumentQuery {
  /** The order field, or undefined for the order of ids. */
  readonly field: string | undefined;
  readonly descending: boolean;
  readonly limit: number | undefined;
  /** Where the page starts: just after this position. */
  readonly after: OrderPosition | undefined;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks the options of `find` (or of `page`, with `paged`) and returns them as a {@link DocumentQuery}. Refuses,
 * with an InvalidArgumentError naming `where`, an unknown direction, a field that is not a top-level field name,
 * a limit outside 1 to {@link MAX_DOCUMENT_LIMIT}, and a cursor that is malformed or was made for another order.
 */
export function documentQuery(
  options: PageOptions<never> | FindOptions<never> | undefined,
  where: string,
  paged = false,
): DocumentQuery {
  if (options === undefined && !paged)
    return { field: undefined, descending: false, limit: undefined, after: undefined };
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `${where}: options must be an object { orderBy?, limit${paged ? ', after?' : '?'} }`,
    );
  }
  const { orderBy, limit } = options;
  let field: string | undefined;
  let descending = false;
  if (orderBy !== undefined) {
    if (typeof orderBy !== 'object' || orderBy === null) {
      throw new InvalidArgumentError(`${where}: orderBy must be { field, direction? }; got ${String(orderBy)}`);
    }
    field = checkOrderField(orderBy.field, where);
    const direction = orderBy.direction ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc') {
      throw new InvalidArgumentError(
        `${where}: orderBy.direction must be 'asc' or 'desc'; got ${JSON.stringify(direction) ?? String(direction)}`,
      );
    }
    descending = direction === 'desc';
  }
  if (paged && limit === undefined) throw new InvalidArgumentError(`${where}: a page needs a limit`);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DOCUMENT_LIMIT)) {
    throw new InvalidArgumentError(
      `${where}: limit must be an integer from 1 to ${MAX_DOCUMENT_LIMIT}; got ${JSON.stringify(limit) ?? String(limit)}`,
    );
  }
  const cursor = (options as PageOptions<never>).after;
  const after = paged && cursor !== undefined ? decodeCursor(cursor, field, descending, where) : undefined;
  return { field, descending, limit, after };
}

/** Checks an order field: a top-level field name (letters, digits, _), as the SQL stores can index it. */
export function checkOrderField(field: unknown, where: string): string {
  if (typeof field !== 'string' || !FIELD.test(field)) {
    throw new InvalidArgumentError(
      `${where}: orderBy.field must be a top-level field name (letters, digits, _); got ${JSON.stringify(field) ?? String(field)}`,
    );
  }
  return field;
}

/** The cursor of the page after the one ending at `last`: opaque text that names the order it belongs to. */
export function encodeCursor(query: DocumentQuery, last: OrderPosition): string {
  const value = last.value === undefined ? null : last.value;
  const json = JSON.stringify({ o: query.field ?? null, d: query.descending ? 'desc' : 'asc', v: value, i: last.id });
  let binary = '';
  for (const byte of new TextEncoder().encode(json)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function decodeCursor(cursor: unknown, field: string | undefined, descending: boolean, where: string): OrderPosition {
  const malformed = () =>
    new InvalidArgumentError(`${where}: after must be the next of a page; got ${JSON.stringify(cursor)}`);
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw malformed();
  }
  let parsed: unknown;
  try {
    const binary = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed();
  const { o, d, v, i } = parsed as Record<string, unknown>;
  if (typeof i !== 'string' || (o !== null && typeof o !== 'string') || (d !== 'asc' && d !== 'desc')) {
    throw malformed();
  }
  if (v === undefined || (o === null && v !== null)) throw malformed();
  if ((o ?? undefined) !== field || (d === 'desc') !== descending) {
    throw new InvalidArgumentError(
      `${where}: the cursor after belongs to the order ${o ?? 'id'} ${d}, not to ${field ?? 'id'} ${descending ? 'desc' : 'asc'}`,
    );
  }
  return { value: v === null ? undefined : v, id: i };
}

// Missing and null first, then the values whose place is the store's own, then numbers, then strings.
function rank(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  return 1;
}

/** Compares two order field values in ascending order, as every store orders numbers, strings and nulls. */
export function compareOrderValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === 2) return (a as number) === (b as number) ? 0 : (a as number) < (b as number) ? -1 : 1;
  if (ra === 3) return compareText(a as string, b as string);
  if (ra === 1) return compareText(JSON.stringify(a), JSON.stringify(b));
  return 0;
}

/** The value of a document's order field (undefined when the query orders by id, or the field is missing). */
export function orderValue(query: DocumentQuery, document: unknown): unknown {
  if (query.field === undefined || typeof document !== 'object' || document === null) return undefined;
  return Object.hasOwn(document, query.field) ? (document as Record<string, unknown>)[query.field] : undefined;
}

/**
 * Orders, starts after the cursor and cuts documents in memory, as the SQL stores do with an index: what the
 * in-memory store answers, and the others for documents not yet committed.
 */
export function pageInMemory<T>(
  entries: Iterable<readonly [id: string, document: T]>,
  query: DocumentQuery,
): DocumentPage<T> {
  const direction = query.descending ? -1 : 1;
  const compare = (a: OrderPosition, b: OrderPosition) =>
    direction * (compareOrderValues(a.value, b.value) || compareText(a.id, b.id));
  const rows: (OrderPosition & { readonly document: T })[] = [];
  for (const [id, document] of entries) {
    const row = { id, value: orderValue(query, document), document };
    if (query.after === undefined || compare(row, query.after) > 0) rows.push(row);
  }
  rows.sort(compare);
  return cut(
    rows.map((row) => [row.id, row.document] as const),
    query,
  );
}

/**
 * Cuts rows read in order (at most `limit + 1` of them: the extra one says there is a page after) into a page
 * whose `next` is the cursor of its last document.
 */
export function cut<T>(rows: readonly (readonly [id: string, document: T])[], query: DocumentQuery): DocumentPage<T> {
  const limit = query.limit ?? rows.length;
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const next =
    rows.length > limit && last !== undefined
      ? encodeCursor(query, { id: last[0], value: orderValue(query, last[1]) })
      : null;
  return { items: items.map(([, document]) => document), next };
}

/**
 * What a document store's `index()` indexes: top-level fields that queries filter on by equality, and
 * optionally, after them, the field they order by, so that an ordered page (`page`, or `find` with a limit) of
 * the documents matching those fields reads only its own documents from the index.
 *
 * @example
 * // a guest's bookings, newest first, a page at a time
 * views.index(bookings, 'bookings', { fields: ['guestId'], orderBy: 'bookedAt' });
 */
export type DocumentIndex = readonly string[] | { readonly fields?: readonly string[]; readonly orderBy: string };

/**
 * A {@link DocumentIndex}, checked and spelled out: its equality fields (non-empty strings; a store may ask more of
 * them) and its order field, if any.
 */
export function documentIndex(spec: DocumentIndex, where: string): { fields: string[]; orderBy: string | undefined } {
  const fields = Array.isArray(spec) ? spec : ((spec as { fields?: readonly string[] } | null)?.fields ?? []);
  const orderBy = Array.isArray(spec) ? undefined : (spec as { orderBy?: unknown } | null)?.orderBy;
  if (!Array.isArray(fields)) {
    throw new InvalidArgumentError(`${where}: fields must be an array of field names`);
  }
  if (fields.some((field) => typeof field !== 'string' || field === '')) {
    throw new InvalidArgumentError(`${where}: fields must be an array of field names`);
  }
  if (orderBy === undefined && fields.length === 0) {
    throw new InvalidArgumentError(
      `${where}: fields must be a non-empty array of field names, unless orderBy is given`,
    );
  }
  return { fields: [...fields], orderBy: orderBy === undefined ? undefined : checkOrderField(orderBy, where) };
}

/**
 * True when `cursor` is a `next` that a page ordered by `orderBy` (by id without it) can answer: what a query's
 * input schema checks, so that a made-up cursor is refused as the caller's mistake before any store sees it.
 *
 * @example
 * const cursor = z.string().refine((c) => isDocumentCursor(c, { field: 'from' }), 'must be the `next` of a page');
 */
export function isDocumentCursor(cursor: unknown, orderBy?: DocumentOrder<never>): boolean {
  try {
    documentQuery({ orderBy, limit: 1, after: cursor as string }, 'isDocumentCursor()', true);
    return true;
  } catch {
    return false;
  }
}
