import type { GlobalPosition } from '../positions/position.js';

/**
 * A read model as a query's consistency wait sees it: something that applies events in global order and can
 * say when it has passed a position. Projections implement it; an inline one (updated in the command's own
 * transaction) resolves at once.
 *
 * @example
 * mediator.query(FreeRooms, handler, { reads: [roomAvailability] });
 * await mediator.ask(FreeRooms, params, { after: position }); // waits for roomAvailability
 */
export interface ReadModelProgress {
  /** Names the read model in errors and diagnostics. */
  readonly name: string;
  /** Resolves once every event up to and including `position` is applied; rejects when `signal` aborts. */
  waitFor(position: GlobalPosition, signal: AbortSignal): Promise<void>;
}
