import { isTwofoldError, type ProjectionStatus, type SubscriberStatus } from '@twofold/core';
import type { LagView } from '../messages/queries.js';

/** What the read side reports about itself: `ReadSide.status()`. */
export interface ReadSideStatus {
  readonly projections: readonly ProjectionStatus[];
  readonly subscribers: readonly SubscriberStatus[];
}

/**
 * The read side's lag, for people: positions and lag as they are, and each failure summarized in a sentence
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
  };
}

// The kinds of failure a person can act on differently; anything else is the generic `otherwise`.
function trouble(error: unknown, otherwise: string): string {
  if (isTwofoldError(error, 'UNAVAILABLE')) return 'its store is unreachable';
  if (isTwofoldError(error, 'CONCURRENCY_CONFLICT')) return 'another process applied the same events first';
  if (isTwofoldError(error, 'CORRUPT_DATA')) return 'it found stored data it cannot read';
  return otherwise;
}
