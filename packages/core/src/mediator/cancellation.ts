import { abortError, abortErrorFor, InvalidArgumentError } from '../errors/errors.js';
import { type Timer, unrefTimer } from '../runtime/timers.js';

/** The absolute deadline that a dispatch's own options ask for, if any; throws on malformed values. */
export function ownDeadline(
  options: { readonly deadline?: number; readonly timeout?: number },
  type: string,
): number | undefined {
  const { deadline, timeout } = options;
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isFinite(deadline))) {
    throw new InvalidArgumentError(`${type}: options.deadline must be a finite number of epoch milliseconds`);
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) {
    throw new InvalidArgumentError(`${type}: options.timeout must be a number of milliseconds >= 0`);
  }
  const relative = timeout === undefined ? undefined : Date.now() + timeout;
  if (deadline === undefined) return relative;
  return relative === undefined ? deadline : Math.min(deadline, relative);
}

/**
 * The cancellation of a dispatch that has a signal or a deadline of its own: it aborts when the caller's signal or
 * the inherited one aborts, or when the deadline passes. AbortSignal.any and AbortSignal.timeout do the same, but
 * each dispatch then pays for their weak references and for a timer left running until the deadline; this one is
 * unhooked from its sources, and its timer cleared, by `release()` as soon as the dispatch settles. Its
 * AbortSignal is only made when a handler reads it: on Node 20 making one costs more than a whole dispatch, and
 * most handlers never look.
 */
export class DispatchSignal {
  readonly #sources: readonly AbortSignal[];
  #controller: AbortController | undefined;
  #timer: Timer | undefined;
  #aborted = false;
  #reason: unknown;
  #onAbort: ((reason: unknown) => void) | undefined;

  constructor(sources: readonly AbortSignal[], deadline: number | undefined) {
    this.#sources = sources;
    for (const source of sources) {
      if (source.aborted) {
        this.#aborted = true;
        this.#reason = source.reason;
        return;
      }
    }
    for (const source of sources) source.addEventListener('abort', this);
    if (deadline !== undefined) {
      this.#timer = setTimeout(DispatchSignal.#expire, Math.max(0, deadline - Date.now()), this);
      // Like AbortSignal.timeout's, the timer alone does not keep the process alive.
      unrefTimer(this.#timer);
    }
  }

  /** The signal handlers see, made on first read; it aborts with the same reason. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Sets the one callback told when it aborts (the race of the dispatch it belongs to), or clears it. */
  onAbort(callback: ((reason: unknown) => void) | undefined): void {
    this.#onAbort = callback;
  }

  /** A source aborted: the dispatch aborts with the same reason. */
  handleEvent(event: Event): void {
    this.#abort((event.target as AbortSignal).reason);
  }

  /** Unhooks from the sources and clears the deadline's timer. */
  release(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const source of this.#sources) source.removeEventListener('abort', this);
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.release();
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const callback = this.#onAbort;
    this.#onAbort = undefined;
    callback?.(reason);
  }

  static #expire(self: DispatchSignal): void {
    self.#abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }
}

/**
 * What a dispatch listens to: nothing, the one signal there is, or a {@link DispatchSignal} over the caller's
 * signal, the inherited one and the deadline.
 */
export function combineSignals(
  own: AbortSignal | undefined,
  inherited: AbortSignal | undefined,
  deadline: number | undefined,
): AbortSignal | DispatchSignal | undefined {
  if (deadline === undefined && (own === undefined || inherited === undefined)) return own ?? inherited;
  const sources = own === undefined ? [] : [own];
  if (inherited !== undefined) sources.push(inherited);
  return new DispatchSignal(sources, deadline);
}

/** Settles with `promise`, or rejects as soon as `signal` aborts, whichever comes first. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, type));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Settles with `promise`, or rejects as soon as the dispatch's own `linked` signal aborts, whichever comes first;
 * then releases `linked` unless `keep` (a stream goes on after its dispatch settles, and its deadline with it).
 */
export function raceLinked<T>(promise: Promise<T>, linked: DispatchSignal, type: string, keep: boolean): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    linked.onAbort((reason) => reject(abortErrorFor(reason, type)));
    promise.then(
      (value) => {
        linked.onAbort(undefined);
        if (!keep) linked.release();
        resolve(value);
      },
      (error: unknown) => {
        linked.onAbort(undefined);
        if (!keep) linked.release();
        reject(error);
      },
    );
  });
}
