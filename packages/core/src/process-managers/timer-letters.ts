import type { DeadLetter } from '../dead-letters/ports.js';
import { describeError } from '../errors/errors.js';
import { type RecordedEvent, streamId } from '../event-store/records.js';
import type { GlobalPosition } from '../positions/position.js';
import type { DueTimer } from './ports.js';

/**
 * The `event.type` of a process manager's dead letter that stands for a timer, not an event of the log: its data
 * is the timer's `{ correlation, timer, at }`.
 *
 * @example
 * const timers = (await db.deadLetters.list('hotel.checkout')).filter((l) => l.event.type === PROCESS_TIMER_LETTER);
 */
export const PROCESS_TIMER_LETTER = 'twofold.ProcessTimer';

/** What a timer's dead letter holds. */
export interface TimerLetterData {
  readonly correlation: string;
  readonly timer: string;
  /** When the timer fell due, in ms since the epoch. */
  readonly at: number;
}

/**
 * The dead letter of a timer whose handler failed `attempts` times: one id per manager, instance, timer and due
 * time, so that parking it again replaces it. `position` is the manager's checkpoint when it was parked.
 */
export function timerLetter(
  manager: string,
  timer: DueTimer,
  failure: { readonly error: unknown; readonly attempts: number; readonly position: GlobalPosition },
): DeadLetter {
  const { correlation, name, at } = timer;
  const id = `${manager}:timer:${correlation}:${name}:${at}`;
  const data: TimerLetterData = { correlation, timer: name, at };
  const event: RecordedEvent = {
    id,
    type: PROCESS_TIMER_LETTER,
    data,
    metadata: {},
    streamId: streamId('twofold.process', `${manager}:${correlation}`),
    streamVersion: 0,
    position: failure.position,
    timestamp: at,
    schemaVersion: 1,
  };
  const { attempts } = failure;
  return { id, subscriber: manager, event, error: describeError(failure.error), attempts, at: Date.now() };
}

/** The timer a dead letter stands for, or undefined when it holds an event of the log. */
export function timerOfLetter(letter: DeadLetter): TimerLetterData | undefined {
  return letter.event.type === PROCESS_TIMER_LETTER ? (letter.event.data as TimerLetterData) : undefined;
}
