import type { AppendOptions, UnitOfWork } from '../ports.js';
import type { NewEvent, StreamId } from '../records.js';

/**
 * `append(streamId, events, options)` as the unit of work every write store commits: one stream's events, at the
 * expected version (`'any'` when none is given).
 *
 * @example
 * append(streamId, events, options) { return this.commit(appendUnit(streamId, events, options)); }
 */
export function appendUnit(streamId: StreamId, events: readonly NewEvent[], options: AppendOptions = {}): UnitOfWork {
  return { appends: [{ streamId, events, expectedVersion: options.expectedVersion ?? 'any' }] };
}
