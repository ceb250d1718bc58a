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

/** Where dead letters are parked until someone replays or discards them. */
export interface DeadLetterStore {
  /** Parks a dead letter. */
  add(letter: DeadLetter): Promise<void>;
  /** Dead letters, oldest first; of one subscriber when named. */
  list(subscriber?: string): Promise<readonly DeadLetter[]>;
  /** The dead letter with this id, or undefined when there is none (never parked, or removed). */
  get(id: string): Promise<DeadLetter | undefined>;
  /** Removes a dead letter (after a successful replay, or to discard it). */
  remove(id: string): Promise<void>;
}
