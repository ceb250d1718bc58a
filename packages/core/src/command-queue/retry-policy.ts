import { InvalidArgumentError, isTwofoldError } from '../errors/errors.js';
import type { CommandProblem } from './records.js';

/**
 * When a failed command runs again: exponential backoff with jitter, up to `maxAttempts` attempts in all. Every
 * field has a safe default.
 *
 * @example
 * const retry: RetryOptions = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };
 */
export interface RetryOptions {
  /** Attempts in all, the first included, before the command is dead. Default: 10. */
  readonly maxAttempts?: number;
  /** The wait after the first failed attempt, doubled after each further one. Default: 1000 ms. */
  readonly baseDelayMs?: number;
  /** The longest wait. Default: 300 000 ms (five minutes). */
  readonly maxDelayMs?: number;
  /**
   * A number in [0, 1) for the jitter: each wait is drawn between half the backoff and the whole of it, so that
   * commands failing together do not retry together. Default: `Math.random`; pass a seeded one in tests.
   */
  readonly random?: () => number;
}

/** The codes of errors that a retry cannot change: a command failing with one is dead at once. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  'VALIDATION_FAILED',
  'NO_HANDLER',
  'INVALID_ARGUMENT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'DOMAIN_RULE',
  'NOT_FOUND',
  'IDEMPOTENCY_KEY_REUSED',
]);

const MESSAGE_LIMIT = 2_000;

/** The retry options checked, with their defaults, and what they decide. */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #random: () => number;

  constructor(options: RetryOptions = {}, where = 'CommandWorker') {
    this.maxAttempts = whole(options.maxAttempts ?? 10, 1, `${where}: retry.maxAttempts`);
    this.#baseDelayMs = whole(options.baseDelayMs ?? 1_000, 0, `${where}: retry.baseDelayMs`);
    this.#maxDelayMs = whole(options.maxDelayMs ?? 300_000, 0, `${where}: retry.maxDelayMs`);
    if (options.random !== undefined && typeof options.random !== 'function') {
      throw new InvalidArgumentError(`${where}: retry.random must be a function returning a number in [0, 1)`);
    }
    this.#random = options.random ?? Math.random;
  }

  /** When the command that failed its `attempts`-th attempt with `error` runs again, or undefined: never. */
  retryAt(error: unknown, attempts: number, now: number): number | undefined {
    if (attempts >= this.maxAttempts || (isTwofoldError(error) && FINAL_CODES.has(error.code))) return undefined;
    const backoff = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempts - 1));
    const draw = Math.min(Math.max(this.#random(), 0), 1);
    return now + Math.round(backoff / 2 + (backoff / 2) * draw);
  }
}

/** The problem stored with a failed attempt: the error's code (`INTERNAL` when it is not Twofold's) and message. */
export function problemOf(error: unknown): CommandProblem {
  const code = isTwofoldError(error) ? error.code : 'INTERNAL';
  const text = error instanceof Error ? error.message : String(error);
  return { code, message: text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text };
}

function whole(value: number, min: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}; got ${String(value)}`);
  }
  return value;
}
