type Flat = string | number | boolean;

function isFlat(value: unknown): value is Flat {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

/**
 * The query string for parameters that a URL can carry without losing their types: an object whose values
 * are strings, finite numbers, booleans or non-empty arrays of them (the server coerces them back by the
 * query's schema). `undefined` when the parameters need a JSON body instead.
 */
export function queryStringOf(params: unknown): URLSearchParams | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  if (Object.getPrototypeOf(params) !== Object.prototype && Object.getPrototypeOf(params) !== null) return undefined;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (key === 'after') return undefined;
    if (isFlat(value)) search.append(key, String(value));
    else if (Array.isArray(value) && value.length > 0 && value.every(isFlat)) {
      for (const item of value) search.append(key, String(item));
    } else return undefined;
  }
  return search;
}
