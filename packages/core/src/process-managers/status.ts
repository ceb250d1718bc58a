import type { FeedLag } from '../event-store/ports.js';
import type { GlobalPosition } from '../positions/position.js';

/** What a process manager's runner fails on now: the error summarized, where, and since when. */
export interface ProcessManagerFailure {
  /** The error's name and message. */
  readonly error: string;
  /** The position of the event being retried; undefined when reading the log or a store failed, or a timer. */
  readonly position: GlobalPosition | undefined;
  /** The timer that failed (`name of correlation`), when it was one. */
  readonly timer: string | undefined;
  /** Since when it fails with this error, in ms since the epoch. */
  readonly since: number;
}

/** How a process manager is doing, in the read side's lag report. */
export interface ProcessManagerStatus extends FeedLag {
  /** Set while an event is retried, the log or the store fails, or a timer's handler fails; cleared on success. */
  readonly failure: ProcessManagerFailure | undefined;
  /** Events parked as dead letters, not replayed nor discarded. */
  readonly deadLetters: number;
  /** When its earliest timer falls due, in ms since the epoch; undefined when none is set. */
  readonly nextTimer: number | undefined;
}
