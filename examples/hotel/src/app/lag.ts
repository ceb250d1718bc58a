import {
  isTwofoldError,
  type ProcessManagerFailure,
  type ProcessManagerStatus,
  type ProjectionStatus,
  type SubscriberStatus,
} from '@twofold/core';
import type { LagView } from '../messages/queries.js';

/** What the read side reports about itself: `ReadSide.status()`. */
export interface ReadSideStatus {
  readonly projections: readonly ProjectionStatus[];
  readonly subscribers: readonly SubscriberStatus[];
  readonly processManagers: readonly ProcessManagerStatus[];
}

/**
 * The read side's lag (its projections, subscribers and process managers), for people: positions and lag as they are, and each failure summarized in a sentence
 * that names the part, the position and the kind of trouble. The error itself (a driver's message, SQL, a
 * stack) stays out of the answer; the runners log it in full.
 *
 * @example
 * lagView(await readSide.status()).projections[0].error
 * // 'projection bookings stopped at position 42: the read store refused the event (details in the server log)'
 */
export function lagView(status: ReadSideStatus): LagView {
  return {
    projections: status.projections.map((p) => ({
      name: p.name,
      state: p.state,
      position: p.position,
      head: p.head,
      lagEvents: p.lagEvents,
      lagMs: p.lagMs,
      error:
        p.failure === undefined
          ? null
          : `projection ${p.name} stopped at position ${p.failure.position}: ${trouble(p.failure.error, 'the read store refused the event')} (details in the server log)`,
    })),
    subscribers: status.subscribers.map((s) => ({
      name: s.name,
      running: s.running,
      position: s.position,
      head: s.head,
      lagEvents: s.lagEvents,
      deadLetters: s.deadLetters,
      error:
        s.retrying === undefined
          ? null
          : `subscriber ${s.name} is retrying the event at position ${s.retrying.position} (attempt ${s.retrying.attempt}): ${trouble(s.retrying.error, 'its effect failed')} (details in the server log)`,
    })),
    processManagers: status.processManagers.map((m) => ({
      name: m.name,
      running: m.running,
      position: m.position,
      head: m.head,
      lagEvents: m.lagEvents,
      deadLetters: m.deadLetters,
      nextTimer: m.nextTimer ?? null,
      error:
        m.failure === undefined ? null : `process manager ${m.name} ${failing(m.failure)} (details in the server log)`,
    })),
  };
}

// Where a process manager is stuck, in words; the error text itself (a driver's message) stays in the log.
function failing(failure: ProcessManagerFailure): string {
  if (failure.timer !== undefined) return `is retrying its timer ${failure.timer}`;
  if (failure.position !== undefined) return `is retrying the event at position ${failure.position}`;
  return 'cannot read its log or its store';
}

// The kinds of failure a person can act on differently; anything else is the generic `otherwise`.
function trouble(error: unknown, otherwise: string): string {
  if (isTwofoldError(error, 'UNAVAILABLE')) return 'its store is unreachable';
  if (isTwofoldError(error, 'CONCURRENCY_CONFLICT')) return 'another process applied the same events first';
  if (isTwofoldError(error, 'CORRUPT_DATA')) return 'it found stored data it cannot read';
  return otherwise;
}
