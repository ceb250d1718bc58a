import { InvalidArgumentError } from '../errors/errors.js';
import type { ProjectionStatus } from '../projections/runner.js';
import type { SubscriberStatus } from '../subscriptions/runner.js';

/** Every projection and subscriber of an application, with its position, lag and health. */
export interface ReadSideStatus {
  readonly projections: readonly ProjectionStatus[];
  readonly subscribers: readonly SubscriberStatus[];
}

/** What a {@link ReadSide} runs: a ProjectionRunner or a SubscriberRunner. */
export interface BackgroundRunner<S> {
  /** The name of the projection or subscriber it runs. */
  readonly name: string;
  /** Starts it in the background; starting twice is harmless. */
  start(): void;
  /** Stops it after the work in flight; resolves once it has stopped. */
  stop(): Promise<void>;
  /** Where it is: position, lag, failure. */
  status(): Promise<S>;
}

/**
 * The asynchronous part of an application: its projection runners and side-effect subscribers, started and
 * stopped together, and listed with their lag for dashboards, the CLI and health checks.
 *
 * @example
 * const readSide = new ReadSide({ projections: [freeRooms, guestBookings], subscribers: [refunds, mails] });
 * readSide.start();
 * app.get('/health/read-side', () => readSide.status());
 */
export class ReadSide {
  readonly #projections: readonly BackgroundRunner<ProjectionStatus>[];
  readonly #subscribers: readonly BackgroundRunner<SubscriberStatus>[];

  constructor(options: {
    readonly projections?: readonly BackgroundRunner<ProjectionStatus>[];
    readonly subscribers?: readonly BackgroundRunner<SubscriberStatus>[];
  }) {
    const projections = options.projections ?? [];
    const subscribers = options.subscribers ?? [];
    const names = [...projections, ...subscribers].map((r) => r.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new InvalidArgumentError(`ReadSide: two runners are named '${duplicate}'`);
    this.#projections = projections;
    this.#subscribers = subscribers;
  }

  /** Starts every runner in the background. */
  start(): void {
    for (const runner of [...this.#projections, ...this.#subscribers]) runner.start();
  }

  /** Stops every runner; resolves once all have stopped. */
  async stop(): Promise<void> {
    await Promise.all([...this.#projections, ...this.#subscribers].map((runner) => runner.stop()));
  }

  /** The status of every runner, projections and subscribers apart. */
  async status(): Promise<ReadSideStatus> {
    const [projections, subscribers] = await Promise.all([
      Promise.all(this.#projections.map((r) => r.status())),
      Promise.all(this.#subscribers.map((r) => r.status())),
    ]);
    return { projections, subscribers };
  }
}
