import { InvalidArgumentError, NoHandlerError } from '../errors/errors.js';
import type { DispatchOptions } from '../mediator/context.js';
import type { Mediator } from '../mediator/mediator.js';
import type { CommandDefinition } from '../messages/define.js';
import type { Logger } from '../runtime/logger.js';
import { nextTurn, unrefTimer } from '../runtime/timers.js';
import type { CommandQueueStore, CommandSuccess } from './ports.js';
import type { ClaimedCommand } from './records.js';
import { problemOf, type RetryOptions, RetryPolicy } from './retry-policy.js';
import { WakeSignal } from './wake-signal.js';

/** Options of {@link CommandWorker}. Every one but the store and the mediator has a safe default. */
export interface CommandWorkerOptions {
  readonly store: CommandQueueStore;
  /** Runs each command through its pipeline and handler, as `send` would. */
  readonly mediator: Mediator;
  /**
   * Commands run at once by this worker. A command's place frees as soon as its handler is done: the worker claims
   * the next while the outcome of the one before commits, or, where the store can (`completeAndClaim`) and a claim
   * is on its way or its last claim took as many commands as it asked for, records the successes of the commands
   * that finished meanwhile with the next claim, in one call. Default: 4.
   */
  readonly concurrency?: number;
  /**
   * How many commands a worker whose commands run fast claims beyond its free places, each to start as soon as a
   * place frees: at most this many, and no more than its recent pace (the mean run time of its last handlers, or how
   * long a handler still running has run, when that is longer) would start within `claimAheadMs`, so a worker claims
   * ahead only once a handler has run, and a worker with slow commands, or a handler that hangs, claims for its free
   * places alone. A command claimed ahead is `running` from its claim; one still waiting for a place when its lease
   * would first be renewed (a third of `leaseMs` after its claim) goes back to the queue, its attempt not counted,
   * for a worker with a free place to run, and on stop so do all those still waiting. 0 claims for free places only.
   * Default: 64.
   */
  readonly claimAhead?: number;
  /** How far ahead, in the time the recent pace would take to start them, a worker claims. Default: 10 ms. */
  readonly claimAheadMs?: number;
  /** How long a claim keeps other workers off a command; renewed while it runs. Default: 30 000 ms. */
  readonly leaseMs?: number;
  /** How often to look for due commands when nothing woke the worker. Default: 1000 ms. */
  readonly pollIntervalMs?: number;
  /** On stop, how long running commands may take before they are cancelled and released. Default: 10 000 ms. */
  readonly stopTimeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Default: the mediator's logger. */
  readonly logger?: Logger;
}

/**
 * Runs queued commands: claims what is due, runs each through the mediator (validation, middleware, the write
 * model), and records the outcome. A failed attempt is retried with backoff until the command is dead. Any number of
 * workers, in any number of processes, can share one queue: a claimed command is one worker's alone while its lease
 * holds, and a worker that dies leaves its commands to be claimed again when their leases end. A command runs under
 * its queued id as idempotency key, so a write model keeps the effect of a command run twice single.
 *
 * @example
 * const worker = new CommandWorker({ store: db.commands, mediator: app.mediator, concurrency: 8 });
 * worker.start();
 * // …
 * await worker.stop();
 */
export class CommandWorker {
  readonly #store: CommandQueueStore;
  readonly #mediator: Mediator;
  readonly #concurrency: number;
  readonly #claimAhead: number;
  readonly #claimAheadMs: number;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #stopTimeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  // The commands whose handlers run (each holds a slot, with the time its handler began), and those whose outcome is
  // not yet recorded (handlers included): a slot frees as soon as its handler is done, and the next claim runs while
  // the outcome commits.
  readonly #running = new Map<Promise<void>, number>();
  readonly #recording = new Set<Promise<void>>();
  // The commands claimed ahead, in claim order, waiting for a place; a place that frees goes to the first at once.
  readonly #waiting: Waiting[] = [];
  // The mean run time of the recent handlers in ms (a moving average), undefined before the first has run.
  #pace: number | undefined;
  // One controller per running command, rather than one signal they all listen to: with more than ten commands
  // running, Node would warn of a listener leak on a shared signal.
  readonly #cancels = new Set<AbortController>();
  readonly #wake = new WakeSignal();
  // The successes the loop records with its next claim, in one round trip, where the store can (completeAndClaim):
  // the worker hands a success over when its place is free and a claim is on its way or follows (the loop records
  // the handed-over successes without one when it does not), and the commands that finish together are recorded
  // together.
  #handovers: Handover[] = [];
  #claiming = false;
  // Whether the last claim took as many commands as it asked for: more may be due, and a success waits for the next
  // claim. After one that found fewer, the queue had no more: a claim now would find only what a wake-up announces,
  // so a success is recorded on its own, and the loop stays free to claim at once when one comes.
  #claimedAll = false;
  // Whether the last claim asked for fewer commands than it had room for, outcomes waiting to be recorded.
  #heldByOutcomes = false;
  #definitions = new Map<string, CommandDefinition>();
  #loop: Promise<void> | undefined;
  #stopping: AbortController | undefined;

  constructor(options: CommandWorkerOptions) {
    if (typeof options?.store?.claim !== 'function') {
      throw new InvalidArgumentError('CommandWorker: options.store must be a command queue store');
    }
    if (typeof options.mediator?.execute !== 'function') {
      throw new InvalidArgumentError('CommandWorker: options.mediator must be a mediator');
    }
    this.#store = options.store;
    this.#mediator = options.mediator;
    this.#concurrency = whole(options.concurrency ?? 4, 'concurrency');
    this.#claimAhead = whole(options.claimAhead ?? 64, 'claimAhead', 0);
    this.#claimAheadMs = whole(options.claimAheadMs ?? 10, 'claimAheadMs');
    this.#leaseMs = whole(options.leaseMs ?? 30_000, 'leaseMs');
    this.#pollIntervalMs = whole(options.pollIntervalMs ?? 1_000, 'pollIntervalMs');
    this.#stopTimeoutMs = whole(options.stopTimeoutMs ?? 10_000, 'stopTimeoutMs');
    this.#retry = new RetryPolicy(options.retry);
    this.#logger = options.logger ?? options.mediator.logger;
  }

  /** Starts claiming and running commands in the background. Starting a running worker is harmless. */
  start(): this {
    if (this.#loop !== undefined) return this;
    this.#stopping = new AbortController();
    const unsubscribe = this.#store.subscribe(() => this.#wake.fire());
    this.#loop = this.#run(this.#stopping.signal).finally(unsubscribe);
    return this;
  }

  /**
   * Stops claiming, gives the commands claimed ahead that still wait for a place back to the queue (their attempt not
   * counted), lets the running commands finish, and resolves once they have. Commands still running after
   * `stopTimeoutMs` are cancelled (their handlers see `ctx.signal` abort) and released to the queue, their attempt
   * not counted.
   */
  async stop(): Promise<void> {
    if (this.#loop === undefined) return;
    this.#stopping?.abort();
    this.#wake.fire();
    await this.#loop;
    const timer = setTimeout(() => {
      for (const cancel of this.#cancels) cancel.abort();
    }, this.#stopTimeoutMs);
    try {
      while (this.#recording.size > 0) await Promise.all(this.#recording);
    } finally {
      clearTimeout(timer);
    }
    this.#wake.clear();
    this.#loop = undefined;
  }

  /** Runs every command due now until none is left, then resolves with how many ran; for tests and scripts. */
  async drain(): Promise<number> {
    let ran = 0;
    for (;;) {
      const claimed = await this.#store.claim({ limit: this.#concurrency, leaseMs: this.#leaseMs, now: Date.now() });
      if (claimed.length === 0) return ran;
      ran += claimed.length;
      await Promise.all(claimed.map((command) => this.#execute(command, this.#renewing(command))));
    }
  }

  async #run(stopping: AbortSignal): Promise<void> {
    try {
      await this.#claimUntil(stopping);
    } finally {
      // Handed over after the last claim: recorded without one. Claimed ahead and still waiting: given back.
      this.#recordAlone(this.#takeHandovers());
      for (const waiting of this.#waiting.splice(0)) this.#giveBack(waiting);
    }
  }

  async #claimUntil(stopping: AbortSignal): Promise<void> {
    while (!stopping.aborted) {
      // Room for the free places and the commands to claim ahead; but the worker holds no more than twice
      // `concurrency`, plus those claimed ahead, in commands whose outcomes are not yet recorded (running and waiting
      // ones included), so that a store slow to record them holds the claims back instead of letting the worker lease
      // the whole queue.
      const ahead = this.#ahead();
      const room = this.#concurrency - this.#running.size + ahead - this.#waiting.length;
      const limit = Math.min(room, 2 * this.#concurrency + ahead - this.#recording.size - this.#waiting.length);
      this.#heldByOutcomes = limit < room;
      let claimed: readonly ClaimedCommand[] = [];
      if (limit > 0) {
        const handovers = this.#takeHandovers();
        this.#claiming = true;
        try {
          claimed =
            handovers.length === 0
              ? await this.#store.claim({ limit, leaseMs: this.#leaseMs, now: Date.now() })
              : await this.#completeAndClaim(handovers, limit);
        } catch (error) {
          this.#logger.error({ err: error }, 'Command worker could not claim commands');
        } finally {
          this.#claiming = false;
        }
        this.#claimedAll = claimed.length === limit;
        for (const command of claimed) this.#admit(command, stopping);
      }
      if (stopping.aborted) return;
      if (claimed.length === 0 || claimed.length < limit) {
        // No claim follows at once: the successes handed over meanwhile are recorded without one.
        this.#recordAlone(this.#takeHandovers());
        await this.#wake.wait(this.#pollIntervalMs);
        // Commands that finish together free their slots in one turn: one claim then fills them all.
        await nextTurn();
      }
    }
  }

  // How many commands to claim beyond the free places now: none before a handler has run, and no more than the
  // recent pace would start within claimAheadMs. A handler still running counts once it has run longer than the
  // pace: the finished ones alone would go on claiming ahead behind a place that hangs.
  #ahead(): number {
    if (this.#claimAhead === 0 || this.#pace === undefined) return 0;
    let pace = this.#pace;
    const now = performance.now();
    for (const began of this.#running.values()) pace = Math.max(pace, now - began);
    const starts = Math.floor((this.#claimAheadMs * this.#concurrency) / Math.max(pace, 0.001));
    return Math.min(this.#claimAhead, starts);
  }

  // A claimed command starts in a free place, or waits for one after those claimed before it. One still waiting when
  // its lease would first be renewed goes back to the queue instead, for a worker with a free place to run: its
  // places have stalled far beyond the pace it was claimed for.
  #admit(command: ClaimedCommand, loop: AbortSignal): void {
    const waiting: Waiting = { command, renewal: this.#renewing(command, () => this.#giveBackWaiting(waiting)) };
    if (this.#running.size < this.#concurrency && this.#waiting.length === 0) this.#start(waiting, loop);
    else this.#waiting.push(waiting);
  }

  // Gives `waiting` back if it still waits for a place; whether it did.
  #giveBackWaiting(waiting: Waiting): boolean {
    const at = this.#waiting.indexOf(waiting);
    if (at === -1) return false;
    this.#waiting.splice(at, 1);
    this.#giveBack(waiting);
    return true;
  }

  #start({ command, renewal }: Waiting, loop: AbortSignal): void {
    let ran!: () => void;
    const slot: Promise<void> = new Promise<void>((resolve) => {
      ran = resolve;
    }).then(() => {
      this.#running.delete(slot);
      // The place goes to the first command claimed ahead, in this turn; once the worker stops, to none.
      const next = loop.aborted ? undefined : this.#waiting.shift();
      if (next !== undefined) this.#start(next, loop);
      this.#wake.fire();
    });
    this.#running.set(slot, performance.now());
    const recording: Promise<void> = this.#execute(command, renewal, ran, loop).finally(() => {
      ran();
      this.#recording.delete(recording);
      if (this.#heldByOutcomes) this.#wake.fire();
    });
    this.#recording.add(recording);
  }

  // Gives a command claimed ahead back to the queue, its attempt not counted; stop() waits for it.
  #giveBack({ command, renewal }: Waiting): void {
    renewal();
    const released: Promise<void> = this.#store
      .release(command.id, command.lease, Date.now())
      .then(
        () => {},
        (error: unknown) => this.#unrecorded(command.id, error),
      )
      .finally(() => this.#recording.delete(released));
    this.#recording.add(released);
  }

  // Renews the command's lease every third of `leaseMs` until the returned function is called, but when `instead`
  // (called first at each renewal) has done something else with the command and says so.
  #renewing({ id, lease }: ClaimedCommand, instead?: () => boolean): () => void {
    const renewal = setInterval(
      () => {
        if (instead?.() === true) return;
        this.#store.renew(id, lease, Date.now() + this.#leaseMs).catch((error: unknown) => {
          this.#logger.warn({ err: error, command: id }, `Could not renew the lease of command ${id}`);
        });
      },
      Math.max(1, Math.floor(this.#leaseMs / 3)),
    );
    unrefTimer(renewal);
    return () => clearInterval(renewal);
  }

  // Completes the handed-over commands and claims `free` commands in one call; when that fails, nothing was done,
  // and the outcomes are recorded without it.
  async #completeAndClaim(handovers: readonly Handover[], free: number): Promise<readonly ClaimedCommand[]> {
    const request = { limit: free, leaseMs: this.#leaseMs, now: Date.now() };
    const completions = handovers.map(({ command, success }) => ({ id: command.id, lease: command.lease, success }));
    try {
      const done = await this.#store.completeAndClaim!(completions, request);
      for (const [i, handover] of handovers.entries()) handover.recorded(Promise.resolve(done.completed[i] === true));
      return done.claimed;
    } catch (error) {
      this.#recordAlone(handovers);
      throw error;
    }
  }

  #takeHandovers(): readonly Handover[] {
    const handovers = this.#handovers;
    this.#handovers = [];
    return handovers;
  }

  // Each through `complete`, which a store may group into one transaction.
  #recordAlone(handovers: readonly Handover[]): void {
    for (const handover of handovers) handover.recorded(this.#complete(handover));
  }

  #complete({ command, success }: Pick<Handover, 'command' | 'success'>): Promise<boolean> {
    return this.#store.complete(command.id, command.lease, success, Date.now());
  }

  // Records a success: handed over to the loop when it can record it with its next claim (the loop is claiming, and
  // records it without a claim if that claim finds fewer commands than it asked for, or its last claim found as many
  // as it asked for), through `complete` otherwise.
  #succeeded(command: ClaimedCommand, success: CommandSuccess, loop: AbortSignal | undefined): Promise<boolean> {
    const own = { command, success };
    if (
      this.#store.completeAndClaim === undefined ||
      loop === undefined ||
      loop.aborted ||
      !(this.#claiming || this.#claimedAll)
    ) {
      return this.#complete(own);
    }
    return new Promise((resolve) => {
      this.#handovers.push({ ...own, recorded: resolve });
    });
  }

  // Runs the command and records its outcome; `ran` is called once the handler is done, before the outcome is, and
  // `renewal` (stops the lease's renewal) once the outcome is. `loop`, the run loop's signal for a command it
  // claimed, lets the loop record a success with its next claim.
  async #execute(
    command: ClaimedCommand,
    renewal: () => void,
    ran: () => void = () => {},
    loop?: AbortSignal,
  ): Promise<void> {
    const { id } = command;
    const cancel = new AbortController();
    this.#cancels.add(cancel);
    const began = performance.now();
    const handled = () => {
      const ms = performance.now() - began;
      this.#pace = this.#pace === undefined ? ms : this.#pace + (ms - this.#pace) * PACE_WEIGHT;
      ran();
    };
    try {
      const definition = this.#definition(command.type);
      const { result, position } = await this.#mediator.execute(definition, command.data as never, {
        ...this.#options(command),
        signal: cancel.signal,
      });
      handled();
      try {
        await this.#succeeded(command, { result, position }, loop);
      } catch (storeError) {
        // The command succeeded; its lease ends on its own, and when it runs again a write model's idempotency
        // record answers with this run's result (a plain handler runs again in full). Recording the store's error as the command's failure would count
        // an attempt against a command that did not fail, and could make it dead.
        this.#unrecorded(id, storeError);
      }
    } catch (error) {
      handled();
      await this.#failed(command, error, cancel.signal.aborted);
    } finally {
      this.#cancels.delete(cancel);
      renewal();
      // A claim made while this outcome committed passed over the next command of its key: claim again now.
      if (command.key !== undefined) this.#wake.fire();
    }
  }

  async #failed(command: ClaimedCommand, error: unknown, cancelled: boolean): Promise<void> {
    const { id, lease, attempts, type } = command;
    const now = Date.now();
    try {
      if (cancelled) {
        await this.#store.release(id, lease, now);
        return;
      }
      const retryAt = this.#retry.retryAt(error, attempts, now);
      await this.#store.fail(id, lease, problemOf(error), retryAt, now);
      this.#logger[retryAt === undefined ? 'error' : 'warn'](
        { err: error, command: id, type, attempts },
        retryAt === undefined ? `Command ${id} (${type}) is dead` : `Command ${id} (${type}) failed; retrying`,
      );
      if (retryAt !== undefined) this.#wake.at(retryAt);
    } catch (storeError) {
      // The lease ends on its own, and the command is claimed again then.
      this.#unrecorded(id, storeError);
    }
  }

  #unrecorded(id: string, error: unknown): void {
    this.#logger.error({ err: error, command: id }, `Could not record the outcome of command ${id}`);
  }

  #definition(type: string): CommandDefinition {
    let definition = this.#definitions.get(type);
    if (definition === undefined) {
      this.#definitions = new Map(this.#mediator.definitions().commands.map((d) => [d.type, d]));
      definition = this.#definitions.get(type);
    }
    if (definition === undefined) throw new NoHandlerError('command', type);
    return definition;
  }

  #options(command: ClaimedCommand): DispatchOptions {
    const { envelope } = command;
    return {
      messageId: command.id,
      correlationId: envelope.correlationId,
      metadata: envelope.metadata,
      ...(envelope.idempotencyKey === undefined ? {} : { idempotencyKey: envelope.idempotencyKey }),
      ...(envelope.causationId === undefined ? {} : { causationId: envelope.causationId }),
      ...(envelope.principal === undefined ? {} : { principal: envelope.principal }),
      ...(envelope.tenant === undefined ? {} : { tenant: envelope.tenant }),
    };
  }
}

/** A command claimed ahead, waiting for a place, and how to stop the renewal of its lease. */
interface Waiting {
  readonly command: ClaimedCommand;
  readonly renewal: () => void;
}

/** A success waiting for the loop's next claim, and how to tell its command how the recording went. */
interface Handover {
  readonly command: ClaimedCommand;
  readonly success: CommandSuccess;
  readonly recorded: (completed: Promise<boolean>) => void;
}

// The weight of the newest handler's run time in the moving average of the pace.
const PACE_WEIGHT = 0.2;

function whole(value: number, name: string, least = 1): number {
  if (!Number.isSafeInteger(value) || value < least) {
    throw new InvalidArgumentError(
      `CommandWorker: options.${name} must be an integer >= ${least}; got ${String(value)}`,
    );
  }
  return value;
}
