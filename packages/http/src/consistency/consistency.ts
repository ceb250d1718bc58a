import type { GlobalPosition, QueryDefinition } from '@twofold/core';

/**
 * Waits until every read model `query` reads from has caught up with `after`, so that a caller who wrote
 * at `after` reads its own write. Reject with {@link ConsistencyTimeoutError} when they do not catch up in
 * time (the plugin answers 504), and stop waiting when `signal` aborts (the caller left or the request
 * timed out). The projection engine provides one; until then, anything that knows your read models can.
 *
 * @example
 * const consistency: ConsistencyWait = async (after, query, signal) => {
 *   while (readModel.position < after) {
 *     if (signal.aborted) throw new ConsistencyTimeoutError(query.type, after);
 *     await setTimeout(10);
 *   }
 * };
 */
export type ConsistencyWait = (after: GlobalPosition, query: QueryDefinition, signal: AbortSignal) => Promise<void>;

/**
 * The read models of a query did not reach the requested position in time. Answered with 504 and the
 * code `CONSISTENCY_TIMEOUT`.
 *
 * @example
 * throw new ConsistencyTimeoutError('hotel.FreeRooms', after);
 */
export class ConsistencyTimeoutError extends Error {
  readonly code = 'CONSISTENCY_TIMEOUT' as const;
  readonly messageType: string;
  readonly after: GlobalPosition;

  constructor(messageType: string, after: GlobalPosition) {
    super(`The read models of ${messageType} did not reach position ${after} in time`);
    this.messageType = messageType;
    this.after = after;
  }

  override get name(): string {
    return 'ConsistencyTimeoutError';
  }
}
