import type { JsonSchema } from './json-schema.js';

/** A parsed query string: each value a string, or several strings for a repeated key. */
export type QueryStringValues = { readonly [key: string]: string | readonly string[] | undefined };

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Turns query-string values into the types the input schema expects, before the schema validates them:
 * numbers and integers, booleans (`true`/`false`), `null`, arrays (a repeated key, or one value), and JSON
 * for nested objects. A value that does not look like its type is left as the string it was, so that the
 * schema reports it with its path. Keys the schema does not describe stay strings.
 *
 * @example
 * coerceQueryString({ nights: '2', late: 'true', rooms: ['1', '2'] }, schema)
 * // { nights: 2, late: true, rooms: ['1', '2'] } when the schema says number, boolean, string[]
 */
export function coerceQueryString(values: QueryStringValues, schema: JsonSchema): Record<string, unknown> {
  return queryStringCoercion(schema)(values);
}

type Coercion<V> = (value: V) => unknown;

/**
 * {@link coerceQueryString} with the schema read once: what each property's values become is worked out here,
 * so that a route coerces every request's query string without walking its schema again.
 */
export function queryStringCoercion(schema: JsonSchema): (values: QueryStringValues) => Record<string, unknown> {
  const properties = resolve(schema, schema).properties;
  const byKey = new Map<string, Coercion<string | readonly string[]>>();
  if (isSchema(properties)) {
    for (const key of Object.keys(properties)) {
      const property = (properties as Record<string, unknown>)[key];
      if (isSchema(property)) byKey.set(key, valueCoercion(property, schema));
    }
  }
  return (values) => {
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(values)) {
      const value = values[key];
      if (value === undefined) continue;
      const coerce = byKey.get(key);
      entries.push([key, coerce === undefined ? value : coerce(value)]);
    }
    // fromEntries defines own properties, so a key such as `__proto__` cannot reach a prototype.
    return Object.fromEntries(entries);
  };
}

function valueCoercion(schema: JsonSchema, root: JsonSchema): Coercion<string | readonly string[]> {
  const resolved = resolve(schema, root);
  const types = typesOf(resolved, root);
  const scalar = scalarCoercion(resolved, root);
  if (!types.has('array')) return (value) => (typeof value === 'string' ? scalar(value) : value);
  const items = itemsOf(resolved, root);
  const item: Coercion<string> = items === undefined ? (value) => value : scalarCoercion(items, root);
  const wrap = !types.has('string');
  return (value) => {
    if (typeof value !== 'string') return value.map((one) => item(one));
    return wrap ? [item(value)] : scalar(value);
  };
}

function scalarCoercion(schema: JsonSchema, root: JsonSchema): Coercion<string> {
  const types = typesOf(resolve(schema, root), root);
  if (types.size === 0 || types.has('string')) return (value) => value;
  const number = types.has('number') || types.has('integer');
  const boolean = types.has('boolean');
  const nullable = types.has('null');
  const json = types.has('object') || types.has('array');
  return (value) => {
    if (number && NUMBER.test(value)) {
      const parsed = Number(value);
      if (Number.isFinite(parsed)) return parsed;
    }
    if (boolean && (value === 'true' || value === 'false')) return value === 'true';
    if (nullable && value === 'null') return null;
    if (json) {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    }
    return value;
  };
}

/** The JSON types a schema admits, looking through `anyOf`/`oneOf`/`allOf`, `enum` and `const`. */
function typesOf(schema: JsonSchema, root: JsonSchema, depth = 0): Set<string> {
  const types = new Set<string>();
  if (depth > 8) return types;
  const { type } = schema;
  if (typeof type === 'string') types.add(type);
  if (Array.isArray(type)) for (const t of type) if (typeof t === 'string') types.add(t);
  if (Object.hasOwn(schema, 'const')) types.add(jsonType(schema.const));
  if (Array.isArray(schema.enum)) for (const v of schema.enum) types.add(jsonType(v));
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[keyword];
    if (!Array.isArray(branches)) continue;
    for (const branch of branches) {
      if (isSchema(branch)) for (const t of typesOf(resolve(branch, root), root, depth + 1)) types.add(t);
    }
  }
  return types;
}

function itemsOf(schema: JsonSchema, root: JsonSchema): JsonSchema | undefined {
  if (isSchema(schema.items)) return resolve(schema.items, root);
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = schema[keyword];
    if (!Array.isArray(branches)) continue;
    for (const branch of branches) {
      if (!isSchema(branch)) continue;
      const resolved = resolve(branch, root);
      if (isSchema(resolved.items)) return resolve(resolved.items, root);
    }
  }
  return undefined;
}

/** Follows a local `$ref` (`#/$defs/X`, `#/definitions/X`); any other reference is left as it is. */
function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; hops < 8 && typeof current.$ref === 'string'; hops++) {
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(current.$ref);
    if (match === null) return current;
    const defs = root[match[1]!];
    const target = isSchema(defs) ? (defs as Record<string, unknown>)[decodeURIComponent(match[2]!)] : undefined;
    if (!isSchema(target)) return current;
    current = target;
  }
  return current;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
