import { InvalidArgumentError } from '@twofold/core';

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
