import type { DeadLetterStore } from '../dead-letters/ports.js';
import type { EventFeed, HeldBy } from '../event-store/ports.js';
import type { GlobalPosition } from '../positions/position.js';
import type { Logger } from '../runtime/logger.js';
import type { ProjectionStore } from './ports.js';
import type { Projection } from './projection.js';

/** Where a projection runner is: applying the backlog, keeping up, stuck on an event, or stopped. */
export type ProjectionState = 'starting' | 'catching-up' | 'running' | 'failing' | 'stopped';

/** A snapshot of one projection's health, for dashboards and the `twofold projections` command. */
export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly state: ProjectionState;
  /** The last position applied. */
  readonly position: GlobalPosition;
  /** The last position in the log. */
  readonly head: GlobalPosition;
  /** Events in the log that the projection has not applied yet. */
  readonly lagEvents: number;
  /** How long ago the oldest event not yet applied was recorded, in ms (0 when caught up). */
  readonly lagMs: number;
  /** Set while a write in progress keeps newer events from every reader (PostgreSQL): which one, since when. */
  readonly heldBy?: HeldBy | undefined;
  /** The version queries read; differs from `version` while a rebuild of `version` catches up. */
  readonly activeVersion: number | undefined;
  /** Set while failing: the error, and the position of the event it fails on. */
  readonly failure: { readonly error: unknown; readonly position: GlobalPosition; readonly since: number } | undefined;
  /** What the runner does with an event it cannot apply; see {@link ProjectionRunnerOptions.onFailure}. */
  readonly onFailure: ProjectionFailurePolicy;
  /** Events this projection parked as dead letters and has not applied (always 0 under 'stop'). */
  readonly parked: number;
}

/**
 * What a projection runner does with an event its projection cannot apply:
 * - `'stop'`: stay at that event, retrying it with backoff, so that no event is ever skipped. Queries waiting to
 *   read their writes beyond it fail at once with PROJECTION_STOPPED, naming the projection.
 * - `'park'`: after `attempts` tries, put the event in the dead-letter store with its error and go on; the read
 *   model then lacks that event's change.
 */
export type ProjectionFailurePolicy = 'stop' | 'park';

/** Reported after each batch while a projection catches up (a first build, a rebuild, or a backlog). */
export interface CatchUpProgress {
  readonly projection: string;
  readonly version: number;
  readonly position: GlobalPosition;
  readonly head: GlobalPosition;
  /** Events applied per second since catching up began. */
  readonly eventsPerSecond: number;
  /** Estimated time to reach the head at the current rate, in ms. */
  readonly etaMs: number;
  /** True while filling a new version that queries do not read yet. */
  readonly rebuilding: boolean;
}

/** Options of {@link ProjectionRunner}. */
export interface ProjectionRunnerOptions<Tx> {
  readonly projection: Projection<Tx>;
  readonly store: ProjectionStore<Tx>;
  readonly feed: EventFeed;
  /** Events read and applied per transaction. Default: 500. */
  readonly batchSize?: number;
  /** First wait after a failure, doubled on each further failure up to `maxRetryDelayMs`. Default: 100 ms. */
  readonly retryDelayMs?: number;
  /** Default: 30 000 ms. */
  readonly maxRetryDelayMs?: number;
  readonly logger?: Logger;
  /** Called after each batch while catching up, e.g. to draw a progress bar. */
  readonly onProgress?: (progress: CatchUpProgress) => void;
  /** What to do with an event the projection cannot apply; see {@link ProjectionFailurePolicy}. Default: 'stop'. */
  readonly onFailure?: ProjectionFailurePolicy;
  /** Where `'park'` puts the events it gives up on, under the projection's name. Required with `'park'`. */
  readonly deadLetters?: DeadLetterStore;
  /** With `'park'`: tries of an event before it is parked. Default: 3. */
  readonly attempts?: number;
}
