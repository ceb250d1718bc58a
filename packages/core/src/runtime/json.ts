import { CorruptDataError } from '../errors/errors.js';

/** Parses a JSON column; a corrupt value fails with CORRUPT_DATA and `where` (what the row is) in the message. */
export function fromJson(text: string | null, where: () => string): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CorruptDataError(`${where()} holds corrupt JSON: ${(error as Error).message}`, { cause: error });
  }
}
