import { type CatchUpSource, type CatchUpSteps, catchUpOnce, runCatchUp } from '../catch-up/catch-up-loop.js';
import { SharedReads } from '../catch-up/shared-reads.js';
import { WakeSignal } from '../command-queue/wake-signal.js';
import { PositionTracker } from '../consistency/position-tracker.js';
import type { DeadLetterStore } from '../dead-letters/ports.js';
import { describeError, InvalidArgumentError, NotFoundError } from '../errors/errors.js';
import { type EventFeed, eventsBetween } from '../event-store/ports.js';
import type { RecordedEvent } from '../event-store/records.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import { sleep } from '../runtime/sleep.js';
import { applyReaction, newInstance } from './instance.js';
import type { DueTimer, ProcessStore } from './ports.js';
import type { ProcessManager } from './process-manager.js';
import { atLeastOne, checkOptions, type ProcessManagerRunnerOptions } from './runner-options.js';
import { queuedCommands } from './sent-commands.js';
import type { ProcessManagerFailure, ProcessManagerStatus } from './status.js';
import { timerLetter, timerOfLetter } from './timer-letters.js';

export type { ProcessManagerRunnerOptions } from './runner-options.js';

// Another runner of the same manager moved the checkpoint: read on from where it is.
class CheckpointMoved extends Error {}

/**
 * Runs a process manager: reads the log after its checkpoint and hands each event it handles to the instance the
 * event correlates to, and fires its timers as they fall due. Each handled event or fired timer commits in one
 * transaction of the store: the instance's state and timers, the commands it sends (into the command queue), and
 * for an event the checkpoint; so an event handled again after a crash finds its effect committed or not at all,
 * and a timer fires once. An event or timer whose handler keeps failing is parked as a dead letter after `attempts`
 * tries; a timer's failures are counted in the store, so a restart does not start its count again.
 *
 * @example
 * const runner = new ProcessManagerRunner({ processManager: checkout, feed: db.events, store: db.processes,
 *   deadLetters: db.deadLetters });
 * runner.start();
 * // …
 * await runner.stop();
 */
export class ProcessManagerRunner {
  /**
   * How far this runner has handled the log, its checkpoint moved past it: `progress.waitFor(position, signal)`
   * resolves once the instances, timers and commands of every event up to `position` are committed.
   */
  readonly progress: PositionTracker;
  readonly #manager: ProcessManager;
  readonly #store: ProcessStore;
  readonly #deadLetters: DeadLetterStore;
  readonly #source: CatchUpSource;
  readonly #clock: () => number;
  readonly #attempts: number;
  readonly #retryDelayMs: number;
  readonly #pollIntervalMs: number;
  readonly #logger: Logger;
  readonly #types: ReadonlySet<string>;
  readonly #wake = new WakeSignal();
  readonly #feed: EventFeed;
  readonly #retainClosedMs: number | undefined;
  #prunedAt = 0;
  #saved: GlobalPosition = START;
  #failure: ProcessManagerFailure | undefined;
  #controller: AbortController | undefined;
  #loops: Promise<unknown> | undefined;

  constructor(options: ProcessManagerRunnerOptions) {
    const { processManager, feed, store, deadLetters } = checkOptions(options);
    this.#manager = processManager;
    this.progress = new PositionTracker(processManager.name);
    this.#feed = feed;
    this.#store = store;
    this.#deadLetters = deadLetters;
    this.#clock = options.clock ?? Date.now;
    this.#attempts = atLeastOne(options.attempts ?? 5, 'attempts');
    this.#retryDelayMs = atLeastOne(options.retryDelayMs ?? 200, 'retryDelayMs');
    this.#pollIntervalMs = atLeastOne(options.pollIntervalMs ?? 1_000, 'pollIntervalMs');
    this.#retainClosedMs =
      options.retainClosedMs === undefined ? undefined : atLeastOne(options.retainClosedMs, 'retainClosedMs');
    this.#source = { reads: SharedReads.of(feed), batchSize: atLeastOne(options.batchSize ?? 100, 'batchSize') };
    this.#logger = options.logger ?? consoleLogger('warn');
    this.#types = new Set(processManager.events.map((event) => event.type));
  }

  /** The process manager's name. */
  get name(): string {
    return this.#manager.name;
  }

  /** Starts handling events and firing timers in the background; `stop()` ends it. Starting twice is harmless. */
  start(): void {
    if (this.#loops !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    const steps: CatchUpSteps = {
      open: () => this.#open(),
      apply: (from, batch, signal) => this.#handleBatch(from, batch, signal),
      readOn: (batch) => batch.length === this.#source.batchSize,
      caughtUp: () => undefined,
      failed: (error) => {
        if (error instanceof CheckpointMoved) return 0;
        this.#failed(error, {});
        this.#logger.error(
          { err: error, processManager: this.name },
          `Process manager ${this.name} could not read or commit`,
        );
        return this.#retryDelayMs;
      },
    };
    this.#loops = Promise.all([runCatchUp(this.#source, steps, controller.signal), this.#timerLoop(controller.signal)]);
  }

  /** Stops after the event or timer in flight; an event being retried is handled again on the next start. */
  async stop(): Promise<void> {
    this.#controller?.abort(new Error('stopped'));
    this.#wake.fire();
    await this.#loops;
    this.#loops = undefined;
  }

  /** Handles every event in the log now, then resolves with the position reached; for tests and scripts. */
  catchUp(): Promise<GlobalPosition> {
    if (this.#loops !== undefined) throw new InvalidArgumentError(`${this.name}: catchUp() cannot run while started`);
    const signal = new AbortController().signal;
    return catchUpOnce(this.#source, {
      open: () => this.#open(),
      apply: (from, batch) => this.#handleBatch(from, batch, signal),
      caughtUp: () => undefined,
    });
  }

  /**
   * Fires every timer due by the clock now, and resolves with how many fired; for tests and scripts (a started
   * runner fires them on its own). A timer whose handler fails is logged and stays due, tried again next time;
   * after `attempts` failures, counted with the timer in the store by every runner of the manager (before a restart
   * too, or on another node), it is taken off its instance and parked as a dead letter.
   */
  async fireTimers(): Promise<number> {
    const now = this.#clock();
    let fired = 0;
    for (;;) {
      const due = await this.#store.dueTimers(this.name, now, this.#source.batchSize);
      let round = 0;
      for (const timer of due) if (await this.#fire(timer, now)) round++;
      fired += round;
      if (due.length < this.#source.batchSize || round === 0) return fired;
    }
  }

  /**
   * Deletes every closed instance that closed more than `retainClosedMs` ago (by `Date.now`), and resolves with
   * how many; 0 without `retainClosedMs`. A started runner does it on its own, at most once per poll interval.
   */
  async prune(): Promise<number> {
    if (this.#retainClosedMs === undefined) return 0;
    const before = Date.now() - this.#retainClosedMs;
    let pruned = 0;
    for (;;) {
      const round = await this.#store.pruneClosed(this.name, before, this.#source.batchSize);
      pruned += round;
      if (round < this.#source.batchSize) return pruned;
    }
  }

  /**
   * Handles a dead letter's event once more, against its instance as it is now, without moving the checkpoint; a
   * parked timer's letter (see {@link PROCESS_TIMER_LETTER}) runs the timer's handler, unless its instance has
   * closed. On success the dead letter is removed; on failure it stays, with the new error and attempt count, and
   * the error is thrown. `deadLetters.list(name)` lists the manager's dead letters; `deadLetters.remove(id)` discards one.
   *
   * @example
   * for (const letter of await db.deadLetters.list('checkout')) await runner.replay(letter.id);
   */
  async replay(id: string): Promise<void> {
    const letter = await this.#deadLetters.get(id);
    if (letter === undefined) throw new NotFoundError(`No dead letter '${id}'`);
    if (letter.subscriber !== this.name) {
      throw new InvalidArgumentError(`Dead letter '${id}' belongs to '${letter.subscriber}', not '${this.name}'`);
    }
    const timer = timerOfLetter(letter);
    try {
      if (timer === undefined) await this.#handle(letter.event, false);
      else await this.#fireOn(timer.correlation, timer.timer, { now: this.#clock() });
    } catch (error) {
      const attempts = letter.attempts + 1;
      await this.#deadLetters.add({ ...letter, attempts, error: describeError(error), at: Date.now() });
      throw error;
    }
    await this.#deadLetters.remove(id);
  }

  /** Where it is: position, head and lag, whether it runs, what fails now, its dead letters and next timer. */
  async status(): Promise<ProcessManagerStatus> {
    const [head, letters, heldBy, nextTimer] = await Promise.all([
      this.#feed.head(),
      this.#deadLetters.list(this.name),
      this.#feed.heldBy?.(),
      this.#store.nextTimer(this.name),
    ]);
    const position = this.#loops === undefined ? await this.#store.checkpoint(this.name) : this.#saved;
    return {
      name: this.name,
      running: this.#loops !== undefined,
      position,
      head,
      lagEvents: await eventsBetween(this.#feed, position, head),
      heldBy,
      failure: this.#failure,
      deadLetters: letters.length,
      nextTimer,
    };
  }

  #recovered(from: (failure: ProcessManagerFailure) => boolean): void {
    if (this.#failure !== undefined && from(this.#failure)) this.#failure = undefined;
  }

  #failed(error: unknown, at: { readonly position?: GlobalPosition; readonly timer?: string }): void {
    const summary = error instanceof Error ? `${error.name}: ${error.message}` : describeError(error);
    const since = this.#failure?.error === summary ? this.#failure.since : Date.now();
    this.#failure = { error: summary, position: at.position, timer: at.timer, since };
  }

  async #open(): Promise<GlobalPosition> {
    this.#checkpointAt(await this.#store.checkpoint(this.name));
    return this.#saved;
  }

  async #handleBatch(from: GlobalPosition, batch: readonly RecordedEvent[], signal: AbortSignal) {
    let position = from;
    for (const event of batch) {
      if (this.#types.has(event.type) && !(await this.#deliver(event, signal))) return position;
      position = event.position;
    }
    if (position > this.#saved) await this.#move(position);
    this.#recovered((failure) => failure.position === undefined && failure.timer === undefined);
    return position;
  }

  // Returns false when stopped mid-retry (the event stays unhandled), true once handled or parked.
  async #deliver(event: RecordedEvent, signal: AbortSignal): Promise<boolean> {
    let delay = this.#retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#handle(event);
        this.#recovered((failure) => failure.position !== undefined);
        return true;
      } catch (error) {
        if (error instanceof CheckpointMoved) throw error;
        this.#failed(error, { position: event.position });
        const log = { err: error, processManager: this.name, position: event.position, type: event.type, attempt };
        if (attempt >= this.#attempts) {
          const id = `${this.name}:${event.position}`;
          const letter = { id, subscriber: this.name, event, error: describeError(error), attempts: attempt };
          await this.#deadLetters.add({ ...letter, at: Date.now() });
          this.#logger.error(log, `Process manager ${this.name} gave up on ${event.type}; parked as dead letter ${id}`);
          await this.#move(event.position);
          this.#recovered((failure) => failure.position !== undefined);
          return true;
        }
        this.#logger.warn(log, `Process manager ${this.name} failed on ${event.type}; retrying`);
        await sleep(delay * (0.75 + Math.random() * 0.5), signal);
        if (signal.aborted) return false;
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  // `advance`: the event is the next one of the log, whose checkpoint moves with the commit; a replayed dead
  // letter's event leaves the checkpoint where it is.
  async #handle(event: RecordedEvent, advance = true): Promise<void> {
    const message = { type: event.type, data: event.data };
    const correlation = this.#manager.correlate(message);
    const where = `process manager '${this.name}' on ${event.type} at ${event.position}`;
    if (typeof correlation !== 'string' || correlation.length === 0) {
      throw new InvalidArgumentError(`${where}: correlate must return a non-empty string`);
    }
    for (;;) {
      const stored = await this.#store.instance(this.name, correlation);
      if (stored?.closed) {
        this.#logger.debug({ processManager: this.name, correlation }, `${where}: instance ${correlation} is closed`);
        return advance ? this.#move(event.position) : undefined;
      }
      const instance = stored ?? newInstance(this.#manager);
      const ctx = { correlation, now: this.#clock() };
      const step = applyReaction(this.#manager, instance, this.#manager.react(instance.state, message, ctx), where);
      if (!step.changed) return advance ? this.#move(event.position) : undefined;
      const causation = { id: event.id, correlationId: event.metadata.correlationId };
      const commands = await queuedCommands(this.#manager, step, { correlation, cause: causation });
      const checkpoint = advance ? { from: this.#saved, to: event.position } : undefined;
      if (
        await this.#store.commit({ manager: this.name, correlation, instance: step.instance, commands, checkpoint })
      ) {
        if (advance) this.#checkpointAt(event.position);
        this.#wake.fire();
        return;
      }
      if (advance && (await this.#store.checkpoint(this.name)) !== this.#saved) throw new CheckpointMoved();
    }
  }

  async #fire(timer: DueTimer, now: number): Promise<boolean> {
    const { correlation, name, at } = timer;
    try {
      const fired = await this.#fireOn(correlation, name, { at, now });
      if (fired) this.#recovered((failure) => failure.timer === `${name} of ${correlation}`);
      return fired;
    } catch (error) {
      const log = { err: error, processManager: this.name, correlation, timer: name };
      // Counted in the store, with the timer: a restarted runner, or one on another node, goes on from it.
      let attempts: number;
      try {
        attempts = await this.#store.timerFailed(this.name, timer);
      } catch (storeError) {
        // Not counted: the timer stays due, and its next failure is counted if the store is back by then.
        this.#failed(error, { timer: `${name} of ${correlation}` });
        this.#logger.error(
          { ...log, storeError },
          `Process manager ${this.name}: timer ${name} of ${correlation} failed, and its failure could not be counted`,
        );
        return false;
      }
      if (attempts === 0) {
        // Fired, cancelled or moved while its handler ran: there is nothing left to try again.
        this.#logger.warn(log, `Process manager ${this.name}: timer ${name} of ${correlation} failed after it changed`);
        return false;
      }
      if (attempts < this.#attempts) {
        this.#failed(error, { timer: `${name} of ${correlation}` });
        this.#logger.error(
          { ...log, attempt: attempts },
          `Process manager ${this.name}: timer ${name} of ${correlation} failed`,
        );
        return false;
      }
      const letter = timerLetter(this.name, timer, { error, attempts, position: this.#saved });
      await this.#deadLetters.add(letter);
      await this.#dropTimer(timer);
      this.#recovered((failure) => failure.timer === `${name} of ${correlation}`);
      this.#logger.error(
        { ...log, attempt: attempts },
        `Process manager ${this.name} gave up on timer ${name}; parked as dead letter ${letter.id}`,
      );
      return false;
    }
  }

  // Runs the timer's handler on its instance and commits. `due`: the timer as listed, which must still be set (it
  // is removed with the commit); without it, a parked timer's replay, which needs only an open instance.
  async #fireOn(correlation: string, name: string, due: { readonly at?: number; readonly now: number }) {
    const where = `process manager '${this.name}' on timer ${name} of ${correlation}`;
    for (;;) {
      const instance = await this.#store.instance(this.name, correlation);
      // Cancelled, moved or fired since it was listed; or, for a replay, closed or gone.
      if (instance === undefined || instance.closed) return false;
      if (due.at !== undefined && instance.timers[name] !== due.at) return false;
      const reaction = this.#manager.fire(instance.state, name, { correlation, now: due.now });
      const step = applyReaction(this.#manager, instance, reaction, where, due.at === undefined ? undefined : name);
      const commands = await queuedCommands(this.#manager, step, { correlation, cause: undefined });
      if (await this.#store.commit({ manager: this.name, correlation, instance: step.instance, commands })) return true;
    }
  }

  // Takes a parked timer off its instance, unless it moved meanwhile.
  async #dropTimer({ correlation, name, at }: DueTimer): Promise<void> {
    for (;;) {
      const instance = await this.#store.instance(this.name, correlation);
      if (instance === undefined || instance.timers[name] !== at) return;
      const { [name]: _dropped, ...timers } = instance.timers;
      const next = { ...instance, version: instance.version + 1, timers };
      if (await this.#store.commit({ manager: this.name, correlation, instance: next, commands: [] })) return;
    }
  }

  async #move(to: GlobalPosition): Promise<void> {
    if (to <= this.#saved) return;
    if (!(await this.#store.moveCheckpoint(this.name, this.#saved, to))) throw new CheckpointMoved();
    this.#checkpointAt(to);
  }

  #checkpointAt(position: GlobalPosition): void {
    this.#saved = position;
    this.progress.advanceTo(position);
  }

  async #timerLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let next: number | undefined;
      try {
        await this.fireTimers();
        next = await this.#store.nextTimer(this.name);
        if (this.#retainClosedMs !== undefined && Date.now() - this.#prunedAt >= this.#pollIntervalMs) {
          this.#prunedAt = Date.now();
          await this.prune();
        }
      } catch (error) {
        this.#logger.error(
          { err: error, processManager: this.name },
          `Process manager ${this.name} could not fire timers`,
        );
      }
      if (signal.aborted) return;
      const now = this.#clock();
      // A timer still due now failed: it waits for the next poll rather than spin.
      await this.#wake.wait(
        next === undefined || next <= now ? this.#pollIntervalMs : Math.min(this.#pollIntervalMs, next - now),
      );
    }
  }
}
