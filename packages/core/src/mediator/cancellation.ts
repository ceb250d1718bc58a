import { CancelledError, DeadlineExceededError, InvalidArgumentError, TwofoldError } from '../errors/errors.js';
import type { DispatchOptions } from './context.js';

/** The absolute deadline that a dispatch's own options ask for, if any; throws on malformed values. */
export function ownDeadline(options: DispatchOptions, type: string): number | undefined {
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

/** One signal that fires when any of the caller's signal, the inherited one, or the deadline fires. */
export function combineSignals(
  own: AbortSignal | undefined,
  inherited: AbortSignal | undefined,
  deadline: number | undefined,
): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (own !== undefined) signals.push(own);
  if (inherited !== undefined) signals.push(inherited);
  if (deadline !== undefined) signals.push(AbortSignal.timeout(Math.max(0, deadline - Date.now())));
  return signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
}

/** The Twofold error that an aborted signal stands for: DEADLINE_EXCEEDED for a timeout, else CANCELLED. */
export function abortError(signal: AbortSignal, type: string): TwofoldError {
  const reason: unknown = signal.reason;
  if (reason instanceof TwofoldError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new DeadlineExceededError(type);
  return new CancelledError(type, reason);
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

/** Waits `ms`, or less when `signal` aborts first; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}
