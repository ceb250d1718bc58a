import { InvalidArgumentError } from '../errors/errors.js';
import { compareText } from '../runtime/text-order.js';
import type { DeadLetterCursor } from './ports.js';

/**
 * The order every `DeadLetterStore` lists dead letters in: oldest first, and those parked in the same millisecond
 * by id, compared code point by code point (as SQLite and PostgreSQL's "C" collation compare). Merge the lists of
 * several stores with it, and a page's last letter is where the next page of each of them starts.
 *
 * @example
 * const merged = [...(await hotel.list()), ...(await billing.list())].sort(compareDeadLetters);
 */
export function compareDeadLetters(a: DeadLetterCursor, b: DeadLetterCursor): number {
  return a.at - b.at || compareText(a.id, b.id);
}

function shown(value: unknown): string {
  return typeof value === 'number' || value === undefined ? String(value) : JSON.stringify(value);
}

function refuse(what: string, value: unknown): never {
  throw new InvalidArgumentError(`deadLetters.list: ${what}; got ${shown(value)}`);
}

/**
 * Checks the arguments of `DeadLetterStore.list` before anything is read: a subscriber that is not a string, a page
 * that is not an object, a limit that is not an integer >= 0, or an `after` that is not `{ at, id }` (an integer and
 * a string) throws INVALID_ARGUMENT naming it.
 */
export function checkDeadLetterList(subscriber: unknown, page: unknown): void {
  if (subscriber !== undefined && typeof subscriber !== 'string') {
    refuse('the subscriber must be a string, or left out for every one', subscriber);
  }
  if (page === undefined) return;
  if (typeof page !== 'object' || page === null) refuse('the page must be an object { after?, limit? }', page);
  const { after, limit } = page as { after?: unknown; limit?: unknown };
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 0)) {
    refuse('page.limit must be an integer >= 0, or left out for all', limit);
  }
  if (after === undefined) return;
  if (typeof after !== 'object' || after === null) {
    refuse('page.after must be the { at, id } of a letter, or left out for the first', after);
  }
  const { at, id } = after as { at?: unknown; id?: unknown };
  if (!Number.isSafeInteger(at)) refuse('page.after.at must be an integer (ms since the epoch)', at);
  if (typeof id !== 'string') refuse('page.after.id must be a string', id);
}
