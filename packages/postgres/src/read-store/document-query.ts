import { InvalidArgumentError } from '@twofold/core';
import type { DocumentQuery } from '@twofold/core/adapters';

type Where = Readonly<Record<string, unknown>> | undefined;

/** `value` as an SQL string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The SQL keys a document is ordered by for the jsonb value `x` (a field of `data`, or a cursor's value): missing
 * and null first, then booleans, arrays and objects by their text, then numbers by value, then strings by code
 * point (COLLATE "C"), as the other stores order numbers, strings and nulls. An index ends with them and `id`.
 */
export function orderKeys(x: string): [string, string] {
  return [
    `(CASE jsonb_typeof(${x}) WHEN 'number' THEN (${x})::float8 WHEN 'string' THEN 'Infinity'::float8 ELSE '-Infinity'::float8 END)`,
    `((CASE jsonb_typeof(${x}) WHEN 'number' THEN '' ELSE coalesce(${x} #>> '{}', '') END) COLLATE "C")`,
  ];
}

/** The conditions of an equality filter, each after AND, with their values pushed onto `values`. */
export function filter(where: Where, values: unknown[], collection: string): string {
  if (where === undefined) return '';
  if (where === null || typeof where !== 'object') {
    throw new InvalidArgumentError(`A filter on ${collection} must be an object of field values`);
  }
  let sql = '';
  for (const [field, value] of Object.entries(where)) {
    values.push(field);
    if (value === undefined) {
      sql += ` AND NOT data ? $${values.length}`;
    } else {
      values.push(JSON.stringify(value));
      sql += ` AND data -> $${values.length - 1} = $${values.length}::jsonb`;
    }
  }
  return sql;
}

/** What {@link selectStatement} reads: a collection, within `scope` (SQL over $1 projection and $2 collection). */
export interface SelectRequest {
  readonly scope: string;
  readonly projection: string;
  readonly collection: string;
  readonly where: Where;
  readonly query: DocumentQuery;
  /** Rows to read beyond the limit: 1 for a page, whose extra row says there is a page after it. */
  readonly extra: number;
}

/**
 * The statement of an ordered, limited query from its cursor on: with an index on the filter's fields and the
 * order keys, a range read of `limit + extra` rows, sorting nothing.
 */
export function selectStatement(request: SelectRequest): { text: string; values: unknown[] } {
  const { scope, projection, collection, where, query, extra } = request;
  const values: unknown[] = [projection, collection];
  let text = `SELECT id, data FROM twofold_documents WHERE ${scope}${filter(where, values, collection)}`;
  const keys = query.field === undefined ? [] : orderKeys(`(data -> ${literal(query.field)})`);
  if (query.after !== undefined) {
    const compare = query.descending ? '<' : '>';
    if (query.field === undefined) {
      values.push(query.after.id);
      text += ` AND id ${compare} $${values.length}`;
    } else {
      values.push(JSON.stringify(query.after.value ?? null), query.after.id);
      const cursor = [...orderKeys(`$${values.length - 1}::jsonb`), `$${values.length}`];
      text += ` AND (${[...keys, 'id'].join(', ')}) ${compare} (${cursor.join(', ')})`;
    }
  }
  const direction = query.descending ? ' DESC' : '';
  text += ` ORDER BY ${[...keys, 'id'].map((key) => `${key}${direction}`).join(', ')}`;
  if (query.limit !== undefined) {
    values.push(query.limit + extra);
    text += ` LIMIT $${values.length}`;
  }
  return { text, values };
}
