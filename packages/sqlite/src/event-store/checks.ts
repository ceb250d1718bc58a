import { checkLimit } from '@twofold/core/adapters';

/** A row limit for SQL: -1 (no limit) for Infinity. */
export function sqlLimit(limit: number): number {
  checkLimit(limit);
  return limit === Number.POSITIVE_INFINITY ? -1 : limit;
}
