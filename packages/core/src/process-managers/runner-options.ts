import type { DeadLetterStore } from '../dead-letters/ports.js';
import { InvalidArgumentError } from '../errors/errors.js';
import type { EventFeed } from '../event-store/ports.js';
import type { Logger } from '../runtime/logger.js';
import type { ProcessStore } from './ports.js';
import type { ProcessManager } from './process-manager.js';

/** Options of {@link ProcessManagerRunner}. */
export interface ProcessManagerRunnerOptions {
  readonly processManager: ProcessManager<any, any, any, any>;
  readonly feed: EventFeed;
  readonly store: ProcessStore;
  readonly deadLetters: DeadLetterStore;
  /** The time handlers see (`ctx.now`) and timers fall due by, in ms since the epoch. Default: `Date.now`. */
  readonly clock?: () => number;
  /** Tries per event, or per due timer, before it is parked as a dead letter. Default: 5. */
  readonly attempts?: number;
  /** Wait before the first retry of an event, doubled on each further one up to 30 s. Default: 200 ms. */
  readonly retryDelayMs?: number;
  /** How often to look for due timers when none is known to fall due sooner. Default: 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Events read per batch. Default: 100. */
  readonly batchSize?: number;
  /**
   * How long a completed (closed) instance is kept, in ms after it closed; a started runner then deletes it, and
   * a later event for its correlation starts a new instance. Default: closed instances are kept.
   */
  readonly retainClosedMs?: number;
  readonly logger?: Logger;
}

/** The options, once their required parts are what they must be; INVALID_ARGUMENT naming the first that is not. */
export function checkOptions(options: ProcessManagerRunnerOptions): ProcessManagerRunnerOptions {
  const { processManager, feed, store, deadLetters, clock } = options ?? ({} as never);
  if (typeof processManager?.react !== 'function') {
    throw new InvalidArgumentError(
      'ProcessManagerRunner: options.processManager must come from defineProcessManager()',
    );
  }
  if (typeof feed?.readAll !== 'function' || typeof feed.waitForEvents !== 'function') {
    throw new InvalidArgumentError('ProcessManagerRunner: options.feed must be an event feed (readAll, waitForEvents)');
  }
  if (typeof store?.commit !== 'function' || typeof store.dueTimers !== 'function') {
    throw new InvalidArgumentError('ProcessManagerRunner: options.store must be a ProcessStore');
  }
  if (typeof deadLetters?.add !== 'function') {
    throw new InvalidArgumentError('ProcessManagerRunner: options.deadLetters must be a DeadLetterStore');
  }
  if (clock !== undefined && typeof clock !== 'function') {
    throw new InvalidArgumentError(
      'ProcessManagerRunner: options.clock must be a function returning ms since the epoch',
    );
  }
  return options;
}

/** `value`, when it is an integer >= 1; INVALID_ARGUMENT naming the option otherwise. */
export function atLeastOne(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      `ProcessManagerRunner: options.${name} must be an integer >= 1; got ${String(value)}`,
    );
  }
  return value;
}
