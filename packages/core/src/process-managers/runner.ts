import { type CatchUpSource, type CatchUpSteps, catchUpOnce, runCatchUp } from '../catch-up/catch-up-loop.js';
import { SharedReads } from '../catch-up/shared-reads.js';
import type { NewQueuedCommand } from '../command-queue/records.js';
import { WakeSignal } from '../command-queue/wake-signal.js';
import type { DeadLetterStore } from '../dead-letters/ports.js';
import { describeError, InvalidArgumentError } from '../errors/errors.js';
import type { EventFeed } from '../event-store/ports.js';
import type { RecordedEvent } from '../event-store/records.js';
import { validate } from '../messages/schema.js';
import { type GlobalPosition, START } from '../positions/position.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import { sleep } from '../runtime/sleep.js';
import { applyReaction, newInstance, type ProcessStep } from './instance.js';
import type { DueTimer, ProcessStore } from './ports.js';
import type { ProcessManager } from './process-manager.js';

/** Options of {@link ProcessManagerRunner}. */
export interface ProcessManagerRunnerOptions {
  readonly processManager: ProcessManager<any, any, any, any>;
  readonly feed: EventFeed;
  readonly store: ProcessStore;
  readonly deadLetters: DeadLetterStore;
  /** The time handlers see (`ctx.now`) and timers fall due by, in ms since the epoch. Default: `Date.now`. */
  readonly clock?: () => number;
  /** Tries per event before it is parked as a dead letter. Default: 5. */
  readonly attempts?: number;
  /** Wait before the first retry of an event, doubled on each further one up to 30 s. Default: 200 ms. */
  readonly retryDelayMs?: number;
  /** How often to look for due timers when none is known to fall due sooner. Default: 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Events read per batch. Default: 100. */
  readonly batchSize?: number;
  readonly logger?: Logger;
}

// Another runner of the same manager moved the checkpoint: read on from where it is.
class CheckpointMoved extends Error {}

/**
 * Runs a process manager: reads the log after its checkpoint and hands each event it handles to the instance the
 * event correlates to, and fires its timers as they fall due. Each handled event or fired timer commits in one
 * transaction of the store: the instance's state and timers, the commands it sends (into the command queue), and
 * for an event the checkpoint; so an event handled again after a crash finds its effect committed or not at all,
 * and a timer fires once. An event whose handler keeps failing is parked as a dead letter after `attempts` tries.
 *
 * @example
 * const runner = new ProcessManagerRunner({ processManager: checkout, feed: db.events, store: db.processes,
 *   deadLetters: db.deadLetters });
 * runner.start();
 * // …
 * await runner.stop();
 */
export class ProcessManagerRunner {
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
  #saved: GlobalPosition = START;
  #controller: AbortController | undefined;
  #loops: Promise<unknown> | undefined;

  constructor(options: ProcessManagerRunnerOptions) {
    const { processManager, feed, store, deadLetters } = options ?? ({} as never);
    if (typeof processManager?.react !== 'function') {
      throw new InvalidArgumentError(
        'ProcessManagerRunner: options.processManager must come from defineProcessManager()',
      );
    }
    if (typeof feed?.readAll !== 'function' || typeof feed.waitForEvents !== 'function') {
      throw new InvalidArgumentError(
        'ProcessManagerRunner: options.feed must be an event feed (readAll, waitForEvents)',
      );
    }
    if (typeof store?.commit !== 'function' || typeof store.dueTimers !== 'function') {
      throw new InvalidArgumentError('ProcessManagerRunner: options.store must be a ProcessStore');
    }
    if (typeof deadLetters?.add !== 'function') {
      throw new InvalidArgumentError('ProcessManagerRunner: options.deadLetters must be a DeadLetterStore');
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError(
        'ProcessManagerRunner: options.clock must be a function returning ms since the epoch',
      );
    }
    this.#manager = processManager;
    this.#store = store;
    this.#deadLetters = deadLetters;
    this.#clock = options.clock ?? Date.now;
    this.#attempts = atLeastOne(options.attempts ?? 5, 'attempts');
    this.#retryDelayMs = atLeastOne(options.retryDelayMs ?? 200, 'retryDelayMs');
    this.#pollIntervalMs = atLeastOne(options.pollIntervalMs ?? 1_000, 'pollIntervalMs');
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
   * runner fires them on its own). A timer whose handler fails is logged and stays due, tried again next time.
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

  async #open(): Promise<GlobalPosition> {
    this.#saved = await this.#store.checkpoint(this.name);
    return this.#saved;
  }

  async #handleBatch(from: GlobalPosition, batch: readonly RecordedEvent[], signal: AbortSignal) {
    let position = from;
    for (const event of batch) {
      if (this.#types.has(event.type) && !(await this.#deliver(event, signal))) return position;
      position = event.position;
    }
    if (position > this.#saved) await this.#move(position);
    return position;
  }

  // Returns false when stopped mid-retry (the event stays unhandled), true once handled or parked.
  async #deliver(event: RecordedEvent, signal: AbortSignal): Promise<boolean> {
    let delay = this.#retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#handle(event);
        return true;
      } catch (error) {
        if (error instanceof CheckpointMoved) throw error;
        const log = { err: error, processManager: this.name, position: event.position, type: event.type, attempt };
        if (attempt >= this.#attempts) {
          const id = `${this.name}:${event.position}`;
          const letter = { id, subscriber: this.name, event, error: describeError(error), attempts: attempt };
          await this.#deadLetters.add({ ...letter, at: Date.now() });
          this.#logger.error(log, `Process manager ${this.name} gave up on ${event.type}; parked as dead letter ${id}`);
          await this.#move(event.position);
          return true;
        }
        this.#logger.warn(log, `Process manager ${this.name} failed on ${event.type}; retrying`);
        await sleep(delay * (0.75 + Math.random() * 0.5), signal);
        if (signal.aborted) return false;
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  async #handle(event: RecordedEvent): Promise<void> {
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
        return this.#move(event.position);
      }
      const instance = stored ?? newInstance(this.#manager);
      const ctx = { correlation, now: this.#clock() };
      const step = applyReaction(this.#manager, instance, this.#manager.react(instance.state, message, ctx), where);
      if (!step.changed) return this.#move(event.position);
      const causation = { id: event.id, correlationId: event.metadata.correlationId };
      const commands = await this.#commands(step, correlation, causation);
      const checkpoint = { from: this.#saved, to: event.position };
      if (
        await this.#store.commit({ manager: this.name, correlation, instance: step.instance, commands, checkpoint })
      ) {
        this.#saved = event.position;
        this.#wake.fire();
        return;
      }
      if ((await this.#store.checkpoint(this.name)) !== this.#saved) throw new CheckpointMoved();
    }
  }

  async #fire(timer: DueTimer, now: number): Promise<boolean> {
    const { correlation, name } = timer;
    const where = `process manager '${this.name}' on timer ${name} of ${correlation}`;
    try {
      for (;;) {
        const instance = await this.#store.instance(this.name, correlation);
        // Cancelled, moved or fired since it was listed.
        if (instance === undefined || instance.closed || instance.timers[name] !== timer.at) return false;
        const reaction = this.#manager.fire(instance.state, name, { correlation, now });
        const step = applyReaction(this.#manager, instance, reaction, where, name);
        const commands = await this.#commands(step, correlation, undefined);
        if (await this.#store.commit({ manager: this.name, correlation, instance: step.instance, commands }))
          return true;
      }
    } catch (error) {
      this.#logger.error({ err: error, processManager: this.name, correlation, timer: name }, `${where} failed`);
      return false;
    }
  }

  #commands(
    step: ProcessStep,
    correlation: string,
    cause: { readonly id: string; readonly correlationId: unknown } | undefined,
  ): Promise<NewQueuedCommand[]> {
    const now = Date.now();
    return Promise.all(
      step.send.map(async ({ type, data }, index) => {
        const definition = this.#manager.commands.find((command) => command.type === type)!;
        await validate(definition.schema, data, type);
        // One id per instance version and place: the same commit made twice can only enqueue each command once.
        const id = `${this.name}:${correlation}:${step.instance.version}:${index}`;
        const correlationId = typeof cause?.correlationId === 'string' ? cause.correlationId : (cause?.id ?? id);
        return {
          id,
          type,
          data,
          envelope: {
            correlationId,
            causationId: cause?.id,
            principal: undefined,
            tenant: undefined,
            metadata: {},
            idempotencyKey: undefined,
          },
          key: `${this.name}:${correlation}`,
          priority: 0,
          runAt: now,
          enqueuedAt: now,
        };
      }),
    );
  }

  async #move(to: GlobalPosition): Promise<void> {
    if (to <= this.#saved) return;
    if (!(await this.#store.moveCheckpoint(this.name, this.#saved, to))) throw new CheckpointMoved();
    this.#saved = to;
  }

  async #timerLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let next: number | undefined;
      try {
        await this.fireTimers();
        next = await this.#store.nextTimer(this.name);
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

function atLeastOne(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      `ProcessManagerRunner: options.${name} must be an integer >= 1; got ${String(value)}`,
    );
  }
  return value;
}
