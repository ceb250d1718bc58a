import { InvalidArgumentError } from '../errors/errors.js';
import type { ProcessManagerStatus } from '../process-managers/status.js';
import type { ProjectionStatus } from '../projections/runner.js';
import type { SubscriberStatus } from '../subscriptions/runner.js';

/** Every projection, subscriber and process manager of an application, with its position, lag and health. */
export interface ReadSideStatus {
  readonly projections: readonly ProjectionStatus[];
  readonly subscribers: readonly SubscriberStatus[];
  readonly processManagers: readonly ProcessManagerStatus[];
}

/** What a {@link ReadSide} runs: a ProjectionRunner, a SubscriberRunner or a ProcessManagerRunner. */
export interface BackgroundRunner<S> {
  /** The name of the projection, subscriber or process manager it runs. */
  readonly name: string;
  /** Starts it in the background; starting twice is harmless. */
  start(): void;
  /** Stops it after the work in flight; resolves once it has stopped. */
  stop(): Promise<void>;
  /** Where it is: position, lag, failure. */
  status(): Promise<S>;
}

/**
 * The asynchronous part of an application: its projection runners, side-effect subscribers and process managers,
 * started and stopped together, and listed with their lag for dashboards, the CLI and health checks.
 *
 * @example
 * const readSide = new ReadSide({ projections: [freeRooms, guestBookings], subscribers: [refunds, mails],
 *   processManagers: [cancellations] });
 * readSide.start();
 * app.get('/health/read-side', () => readSide.status());
 */
export class ReadSide {
  readonly #projections: readonly BackgroundRunner<ProjectionStatus>[];
  readonly #subscribers: readonly BackgroundRunner<SubscriberStatus>[];
  readonly #processManagers: readonly BackgroundRunner<ProcessManagerStatus>[];

  constructor(options: {
    readonly projections?: readonly BackgroundRunner<ProjectionStatus>[];
    readonly subscribers?: readonly BackgroundRunner<SubscriberStatus>[];
    readonly processManagers?: readonly BackgroundRunner<ProcessManagerStatus>[];
  }) {
    const projections = runners(options?.projections, 'projections');
    const subscribers = runners(options?.subscribers, 'subscribers');
    const processManagers = runners(options?.processManagers, 'processManagers');
    const names = [...projections, ...subscribers, ...processManagers].map((r) => r.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new InvalidArgumentError(`ReadSide: two runners are named '${duplicate}'`);
    this.#projections = projections;
    this.#subscribers = subscribers;
    this.#processManagers = processManagers;
  }

  /** Starts every runner in the background. */
  start(): void {
    for (const runner of this.#all()) runner.start();
  }

  /** Stops every runner; resolves once all have stopped. */
  async stop(): Promise<void> {
    await Promise.all(this.#all().map((runner) => runner.stop()));
  }

  /** The status of every runner: projections, subscribers and process managers apart. */
  async status(): Promise<ReadSideStatus> {
    const [projections, subscribers, processManagers] = await Promise.all([
      Promise.all(this.#projections.map((r) => r.status())),
      Promise.all(this.#subscribers.map((r) => r.status())),
      Promise.all(this.#processManagers.map((r) => r.status())),
    ]);
    return { projections, subscribers, processManagers };
  }

  #all(): readonly BackgroundRunner<unknown>[] {
    return [...this.#projections, ...this.#subscribers, ...this.#processManagers];
  }
}

// A list of runners, each with a name, start, stop and status; INVALID_ARGUMENT naming the option otherwise.
function runners<S>(list: readonly BackgroundRunner<S>[] | undefined, option: string): readonly BackgroundRunner<S>[] {
  if (list === undefined) return [];
  const fits = (r: BackgroundRunner<S>) =>
    typeof r?.name === 'string' && [r.start, r.stop, r.status].every((f) => typeof f === 'function');
  if (!Array.isArray(list) || !list.every(fits)) {
    throw new InvalidArgumentError(
      `ReadSide: options.${option} must be an array of runners (name, start, stop, status)`,
    );
  }
  return list;
}
