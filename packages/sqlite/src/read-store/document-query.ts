import { InvalidArgumentError } from '@twofold/core';
import type { DocumentQuery } from '@twofold/core/adapters';

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The SQL expression of a top-level document field: its value as JSON text, or NULL when it is missing. */
export function fieldExpression(field: string): string {
  return `document -> '$.${field}'`;
}

/** Checks the fields of an index: each a plain identifier, so that it can be part of an expression index. */
export function checkIndexFields(fields: unknown, where: string): asserts fields is readonly string[] {
  if (!Array.isArray(fields) || fields.length === 0) {
    throw new InvalidArgumentError(`${where}: fields must be a non-empty array of field names`);
  }
  for (const field of fields) {
    if (typeof field !== 'string' || !FIELD.test(field)) {
      throw new InvalidArgumentError(
        `${where}: index fields must be top-level field names (letters, digits, _); got ${JSON.stringify(field)}`,
      );
    }
  }
}

/** An equality filter compiled to SQL: a clause, its parameters, and a key to cache its statement by. */
export interface CompiledWhere {
  readonly key: string;
  readonly clause: string;
  readonly params: readonly string[];
}

/**
 * Compiles `where` to SQL with the semantics of core's `matches`: each field's JSON text equals the value's JSON
 * text (so 1 never equals true or '1', and objects compare as JSON), and an undefined value means the field is
 * missing. Undefined when a field name or value cannot be expressed in SQL: the caller then filters in memory.
 */
export function compileWhere(where: Readonly<Record<string, unknown>> | undefined): CompiledWhere | undefined {
  const fields = where === undefined ? [] : Object.keys(where);
  const conditions: string[] = [];
  const params: string[] = [];
  const key: string[] = [];
  for (const field of fields) {
    if (!FIELD.test(field)) return undefined;
    const value = where![field];
    if (value === undefined) {
      conditions.push(`${fieldExpression(field)} IS NULL`);
      key.push(`${field}?`);
      continue;
    }
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      typeof value === 'object' ||
      (typeof value === 'number' && Number.isFinite(value));
    if (!ok) return undefined;
    conditions.push(`${fieldExpression(field)} = ?`);
    params.push(JSON.stringify(value));
    key.push(field);
  }
  return {
    key: key.join(','),
    clause: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`,
    params,
  };
}

/**
 * The SQL expression a collection is ordered by for a field: its value as SQLite reads JSON (numbers as numbers,
 * strings as text, which SQLite orders after numbers), missing and null as -Infinity, before every number (JSON
 * holds no infinities). An index on it, after the equality fields, serves an ordered page as a range read.
 */
export function orderExpression(field: string): string {
  return `coalesce(document ->> '$.${field}', -9e999)`;
}

/** A field value as {@link orderExpression} gives it, to compare a cursor with. */
function orderKey(value: unknown): unknown {
  if (value === undefined || value === null) return Number.NEGATIVE_INFINITY;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** The order, start and limit of a query in SQL: after the filter's clause, with parameters and a cache key. */
export interface CompiledOrder {
  readonly key: string;
  /** A condition to AND to the filter (empty without a cursor). */
  readonly after: string;
  readonly afterParams: readonly unknown[];
  /** ORDER BY … and LIMIT ? when the query has a limit. */
  readonly tail: string;
}

/** Compiles a checked query's order, cursor and limit (`extra` rows beyond the limit: 1 for a page's next). */
export function compileOrder(query: DocumentQuery, extra: number): CompiledOrder & { readonly limitParam: number[] } {
  const direction = query.descending ? 'DESC' : 'ASC';
  const expression = query.field === undefined ? undefined : orderExpression(query.field);
  const compare = query.descending ? '<' : '>';
  let after = '';
  let afterParams: unknown[] = [];
  if (query.after !== undefined) {
    after = expression === undefined ? `id ${compare} ?` : `(${expression}, id) ${compare} (?, ?)`;
    afterParams = expression === undefined ? [query.after.id] : [orderKey(query.after.value), query.after.id];
  }
  const order = expression === undefined ? `id ${direction}` : `${expression} ${direction}, id ${direction}`;
  const limited = query.limit !== undefined;
  return {
    key: `${query.field ?? ''}:${direction}:${query.after === undefined ? '' : 'after'}:${limited ? 'limit' : ''}`,
    after,
    afterParams,
    tail: `ORDER BY ${order}${limited ? ' LIMIT ?' : ''}`,
    limitParam: limited ? [query.limit! + extra] : [],
  };
}
