import { abortError, ConsistencyTimeoutError, isTwofoldError } from '../errors/errors.js';
import type { GlobalPosition } from '../positions/position.js';
import type { Logger } from '../runtime/logger.js';
import type { ReadModelProgress } from './read-model-progress.js';

/** A query asked to read its caller's writes, as the wait sees it (the mediator's dispatch context is one). */
export interface ReadingQuery {
  readonly type: string;
  /** The position the caller wants to read from. */
  readonly after: GlobalPosition | undefined;
  /** Answer from read models that have not reached `after` rather than fail. */
  readonly allowStale: boolean;
  /** The dispatch's own signal: its deadline and its caller's cancellation. */
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger;
}

/**
 * Waits until every read model in `reads` has passed `query.after`, for at most `timeoutMs`. A read model that is
 * stopped, or a position ahead of the log, fails the wait at once, and the other waits are then released rather
 * than left to time out. On timeout it fails with CONSISTENCY_TIMEOUT naming the read models that lag, or, when
 * the query allows stale reads, resolves so that the query answers from them as they are.
 *
 * @example
 * // the mediator, between a query's middleware (a refused caller never waits) and its handler:
 * if (ctx.after !== undefined) await awaitReads(reads, ctx, consistencyTimeout);
 */
export function awaitReads(reads: readonly ReadModelProgress[], query: ReadingQuery, timeoutMs: number): Promise<void> {
  const after = query.after!;
  // The dispatch's own deadline already acts through query.signal (and reports DEADLINE_EXCEEDED).
  const timer = AbortSignal.timeout(timeoutMs);
  const done = new AbortController();
  const signal = AbortSignal.any(
    query.signal === undefined ? [timer, done.signal] : [query.signal, timer, done.signal],
  );
  const caughtUp = new Set<ReadModelProgress>();
  const waits = reads.map((read) => read.waitFor(after, signal).then(() => void caughtUp.add(read)));
  return Promise.all(waits).then(
    () => undefined,
    (error: unknown) => {
      done.abort(error);
      if (query.signal?.aborted) throw abortError(query.signal, query.type);
      const stopped = isTwofoldError(error, 'PROJECTION_STOPPED');
      if (!timer.aborted && !stopped) throw error;
      const lagging = reads.filter((read) => !caughtUp.has(read)).map((read) => read.name);
      if (!query.allowStale) throw stopped ? error : new ConsistencyTimeoutError(query.type, after, lagging);
      query.logger.debug({ type: query.type, after, lagging }, 'answering from stale read models');
    },
  );
}
