import type { RecordedEvent } from '../event-store/records.js';

/** An event a subscriber gave up on after its retries, kept with the error so that nothing is dropped silently. */
export interface DeadLetter {
  readonly id: string;
  readonly subscriber: string;
  readonly event: RecordedEvent;
  /** The last error, as text (name, message, stack) so that it survives a restart. */
  readonly error: string;
  readonly attempts: number;
  /** When it was parked, in ms since the epoch. */
  readonly at: number;
}

/** Where dead letters are parked until someone replays or discards them. */
export interface DeadLetterStore {
  add(letter: DeadLetter): Promise<void>;
  /** Dead letters, oldest first; of one subscriber when named. */
  list(subscriber?: string): Promise<readonly DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  /** Removes a dead letter (after a successful replay, or to discard it). */
  remove(id: string): Promise<void>;
}
