import { InvalidArgumentError, UnavailableError } from '../errors/errors.js';
import type { Mediator } from '../mediator/mediator.js';

type Step = () => Promise<void> | void;

/**
 * When a {@link Twofold} app takes messages: not before `start()` has finished, and not after `close()` has
 * drained what was in flight. It counts the dispatches in flight so that `close()` can wait for them.
 */
export class AppLifecycle {
  #state: 'new' | 'starting' | 'started' | 'closed' = 'new';
  #closeCalled = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #onClose: Step[] = [];

  constructor(mediator: Mediator) {
    mediator.use((ctx, next) => {
      if (this.#state !== 'started') {
        return Promise.reject(
          new UnavailableError(
            this.#state === 'closed'
              ? `${ctx.type}: the app is closed`
              : `${ctx.type}: the app is not started; await app.start() first`,
          ),
        );
      }
      this.#inFlight++;
      return next().finally(() => {
        this.#inFlight--;
        if (this.#inFlight === 0) this.#idle?.();
      });
    });
  }

  /** Throws unless the app can still take registrations: before `start()` and `close()`. */
  registering(method: string): void {
    if (this.#closeCalled) throw new InvalidArgumentError(`${method}(): the app is closed`);
    if (this.#state !== 'new') {
      throw new InvalidArgumentError(`${method}(): the app has started; register everything before start()`);
    }
  }

  async start(run: Step): Promise<void> {
    if (this.#closeCalled) throw new InvalidArgumentError('start(): the app is closed');
    if (this.#state !== 'new') throw new InvalidArgumentError('start(): the app is already started; it starts once');
    this.#state = 'starting';
    this.#starting = Promise.resolve().then(run);
    try {
      await this.#starting;
      this.#state = 'started';
    } catch (error) {
      this.#state = 'new';
      throw error;
    }
  }

  onClose(step: Step): void {
    if (typeof step !== 'function') throw new InvalidArgumentError('onClose(): pass a function that closes something');
    if (this.#closeCalled) throw new InvalidArgumentError('onClose(): the app is closed');
    this.#onClose.push(step);
  }

  /** Closes what `onClose` registered (last first), waits for the dispatches in flight, then runs `steps`. */
  close(...steps: readonly Step[]): Promise<void> {
    this.#closeCalled = true;
    this.#closing ??= this.#close(steps);
    return this.#closing;
  }

  async #close(steps: readonly Step[]): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (step: Step) => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    };
    // A close during start() waits for it: the inline projections it catches up use the database.
    await this.#starting?.catch(() => undefined);
    for (const step of [...this.#onClose].reverse()) await attempt(step);
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    this.#state = 'closed';
    for (const step of steps) await attempt(step);
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'The app closed with errors');
  }
}
