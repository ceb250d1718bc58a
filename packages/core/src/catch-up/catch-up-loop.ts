import type { RecordedEvent } from '../event-store/records.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { sleep } from '../runtime/sleep.js';
import type { SharedReads } from './shared-reads.js';

/**
 * What a runner that reads the log after a checkpoint (a projection, a subscriber) does at each step of
 * {@link runCatchUp}; the loop itself reads, waits and retries.
 */
export interface CatchUpSteps {
  /** Reads the checkpoint (and anything else the runner needs first); resolves with the position to read after. */
  open(): Promise<GlobalPosition>;
  /** Handles a batch of events read after `from`; resolves with the position it reached. */
  apply(from: GlobalPosition, batch: readonly RecordedEvent[], signal: AbortSignal): Promise<GlobalPosition>;
  /** After a batch: true to read on at once rather than wait for new events. */
  readOn(batch: readonly RecordedEvent[]): boolean;
  /** Once nothing is left to read, before waiting for new events. */
  caughtUp(position: GlobalPosition): Promise<void> | void;
  /** A step or a read failed: returns how long to wait, in ms, before opening again. */
  failed(error: unknown): number;
}

/** Where a catch-up loop reads: the shared reads of the feed, and how many events at a time. */
export interface CatchUpSource {
  readonly reads: SharedReads;
  readonly batchSize: number;
}

/**
 * Reads the log after the checkpoint in batches and hands each to the runner until `signal` aborts: at the end of
 * the log it waits for new events; after a failure it waits as long as the runner says, then opens again (the
 * checkpoint may have moved meanwhile). It never rejects.
 *
 * @example
 * this.#loop = runCatchUp({ reads: SharedReads.of(feed), batchSize: 100 }, steps, controller.signal);
 */
export async function runCatchUp(source: CatchUpSource, steps: CatchUpSteps, signal: AbortSignal): Promise<void> {
  let position = START;
  let opened = false;
  while (!signal.aborted) {
    try {
      if (!opened) {
        position = await steps.open();
        opened = true;
      }
      const batch = await source.reads.readAll(position, source.batchSize);
      if (batch.length > 0) {
        position = await steps.apply(position, batch, signal);
        // A short batch reached the end of the log as it was read: wait rather than read an empty batch.
        if (steps.readOn(batch)) continue;
      }
      await steps.caughtUp(position);
      // stop() may have come while this iteration awaited: an aborted signal never fires again.
      if (signal.aborted) return;
      await source.reads.waitForEvents(position, signal);
    } catch (error) {
      if (signal.aborted) return;
      opened = false;
      await sleep(steps.failed(error), signal);
    }
  }
}

/**
 * Reads the log after the checkpoint to its end once, handing each batch to the runner, and resolves with the
 * position reached; for tests, scripts and rebuilds. Failures reject.
 */
export async function catchUpOnce(
  source: CatchUpSource,
  steps: Pick<CatchUpSteps, 'open' | 'apply' | 'caughtUp'>,
): Promise<GlobalPosition> {
  const signal = new AbortController().signal;
  let position = await steps.open();
  for (;;) {
    const batch = await source.reads.readAll(position, source.batchSize);
    if (batch.length === 0) {
      await steps.caughtUp(position);
      return position;
    }
    position = await steps.apply(position, batch, signal);
  }
}
