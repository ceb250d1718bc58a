import { type Logger, ProcessManagerRunner } from '@twofold/core';
import { cancellationProcess } from '../cancellation/process-manager.js';
import { holdExpiry } from '../holds/hold-expiry.js';
import type { Stores } from './stores.js';

/** What the hotel's process managers run on besides the stores. */
export interface ProcessManagerOptions {
  /** Their clock: the time their handlers see and their timers fall due by. Default: Date.now. */
  readonly clock?: (() => number) | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * The runners of the hotel's process managers, on the write side's log and its process store (whose commits enqueue
 * their commands in the same transaction); the command workers run what they send. Not started.
 *
 * @example
 * const runners = processManagers(stores, { clock: Date.now });
 * for (const runner of runners) runner.start();
 */
export function processManagers(stores: Stores, options: ProcessManagerOptions = {}): ProcessManagerRunner[] {
  return [holdExpiry, cancellationProcess].map(
    (processManager) =>
      new ProcessManagerRunner({
        processManager,
        feed: stores.writes,
        store: stores.processes,
        deadLetters: stores.deadLetters,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      }),
  );
}
