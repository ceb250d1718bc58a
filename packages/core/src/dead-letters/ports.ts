import type { RecordedEvent } from '../event-store/records.js';

/** An event a subscriber gave up on after its retries, kept with the error so that nothing is dropped silently. */
export interface DeadLetter {
  /** Unique id, for `get`, `remove` and replays. */
  readonly id: string;
  /** The name of the subscriber that gave up. */
  readonly subscriber: string;
  /** The event it could not handle, as recorded. */
  readonly event: RecordedEvent;
  /** The last error, as text (name, message, stack) so that it survives a restart. */
  readonly error: string;
  /** How many times the subscriber tried the event before parking it. */
  readonly attempts: number;
  /** When it was parked, in ms since the epoch. */
  readonly at: number;
}

/** A place in the order of dead letters: that of the letter parked at `at` (ms since the epoch) with id `id`. */
export interface DeadLetterCursor {
  /** When the letter was parked, in ms since the epoch (its `at`). */
  readonly at: number;
  /** The letter's id. */
  readonly id: string;
}

/** Which of the dead letters `list` answers: at most `limit` of those strictly after `after`. */
export interface DeadLetterPage {
  /** The `{ at, id }` of the last letter of the page before; left out for the first page. */
  readonly after?: DeadLetterCursor | undefined;
  /** How many letters at the most, an integer >= 0; left out for all of them. */
  readonly limit?: number | undefined;
}

/** Where dead letters are parked until someone replays or discards them. */
export interface DeadLetterStore {
  /** Parks a dead letter. */
  add(letter: DeadLetter): Promise<void>;
  /**
   * Dead letters, of one subscriber when named, oldest first, those parked in the same millisecond by id (code
   * point by code point: see `compareDeadLetters`). With a page, at most `page.limit` of those strictly after
   * `page.after`, read a page at a time by the store: ask one more than you show to know whether more follow. A
   * subscriber that is not a string, a limit that is not an integer >= 0, or an `after` that is not `{ at, id }`
   * (an integer and a string) rejects with INVALID_ARGUMENT, naming it, and reads nothing.
   *
   * @example
   * const page = await deadLetters.list('billing.refunds', { limit: 21 });
   * const next = page.length > 20 ? { at: page[19]!.at, id: page[19]!.id } : undefined;
   * const more = await deadLetters.list('billing.refunds', { after: next, limit: 21 });
   */
  list(subscriber?: string, page?: DeadLetterPage): Promise<readonly DeadLetter[]>;
  /** The dead letter with this id, or undefined when there is none (never parked, or removed). */
  get(id: string): Promise<DeadLetter | undefined>;
  /** Removes a dead letter (after a successful replay, or to discard it). */
  remove(id: string): Promise<void>;
}
