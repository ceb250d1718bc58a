/**
 * The stable error codes Twofold speaks. Transports map them to their own statuses
 * (the HTTP adapter alone knows that `VALIDATION_FAILED` is a 400).
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NO_HANDLER'
  | 'DUPLICATE_HANDLER'
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'DOMAIN_RULE'
  | 'NOT_FOUND'
  | 'CONCURRENCY_CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'CANCELLED'
  | 'DEADLINE_EXCEEDED'
  | 'CONSISTENCY_TIMEOUT'
  | 'PROJECTION_STOPPED'
  | 'POSITION_AHEAD_OF_LOG'
  | 'CORRUPT_DATA'
  | 'UNAVAILABLE'
  | 'MIDDLEWARE_MISUSE'
  | 'EVENT_HANDLER_FAILED';

/**
 * Base class of every error Twofold raises. Switch on `code`, never on the message text.
 *
 * @example
 * try { await mediator.send(BookRoom, input) }
 * catch (e) { if (isTwofoldError(e) && e.code === 'VALIDATION_FAILED') showIssues(e.issues) }
 */
export class TwofoldError<C extends ErrorCode = ErrorCode> extends Error {
  /** The stable code to switch on, one per subclass (`'NOT_FOUND'` for {@link NotFoundError}). */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The class's own name (`'NotFoundError'`), so logs and stack traces say which error it is. */
  override get name(): string {
    return this.constructor.name;
  }
}

/** True when `error` is a {@link TwofoldError}, optionally with the given code. */
export function isTwofoldError<C extends ErrorCode>(error: unknown, code?: C): error is TwofoldError<C> {
  return error instanceof TwofoldError && (code === undefined || error.code === code);
}

/** One problem found by a schema: where (`path`, e.g. `['guest', 'email']`) and what. */
export interface ValidationIssue {
  /** Property names and array indexes from the payload's root to the faulty value; empty for the root itself. */
  readonly path: readonly (string | number)[];
  /** What is wrong, in the schema library's words. */
  readonly message: string;
}

/**
 * A payload did not match its message schema. Raised before any middleware or handler runs.
 *
 * @example
 * err.issues // [{ path: ['nights'], message: 'Too small: expected number to be >0' }]
 */
export class ValidationError extends TwofoldError<'VALIDATION_FAILED'> {
  /** Every problem the schema found, each with its path. */
  readonly issues: readonly ValidationIssue[];
  /** The type of the message whose payload (or result) failed, e.g. `'hotel.BookRoom'`. */
  readonly messageType: string;

  constructor(messageType: string, issues: readonly ValidationIssue[], what = 'payload') {
    const list = issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
    super('VALIDATION_FAILED', `Invalid ${what} for ${messageType}: ${list}`);
    this.issues = issues;
    this.messageType = messageType;
  }
}

/**
 * A business rule refused the command: an expected outcome the caller can switch on through `rule`.
 *
 * @example
 * if (!room.free) throw new DomainError('ROOM_TAKEN', `Room ${room.id} is booked for those nights`)
 * // caller: if (e instanceof DomainError && e.rule === 'ROOM_TAKEN') ...
 */
export class DomainError<R extends string = string> extends TwofoldError<'DOMAIN_RULE'> {
  /** The name of the rule that refused, chosen by the decider (`'ROOM_TAKEN'`): what callers switch on. */
  readonly rule: R;
  /** Data the decider attached for the caller (the third constructor argument), or undefined. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(rule: R, message: string, details?: Readonly<Record<string, unknown>>) {
    super('DOMAIN_RULE', message);
    this.rule = rule;
    this.details = details;
  }
}

/** The caller is not authenticated, and the operation needs a principal. */
export class UnauthenticatedError extends TwofoldError<'UNAUTHENTICATED'> {
  constructor(message = 'Authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

/** The authenticated principal may not run this message. */
export class ForbiddenError extends TwofoldError<'FORBIDDEN'> {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** No handler is registered for the message type that was sent or asked. */
export class NoHandlerError extends TwofoldError<'NO_HANDLER'> {
  /** The type of the message nothing handles. */
  readonly messageType: string;

  constructor(kind: string, messageType: string) {
    super('NO_HANDLER', `No ${kind} handler is registered for '${messageType}'`);
    this.messageType = messageType;
  }
}

/** A public function got an argument it cannot use; the message says which and why. */
export class InvalidArgumentError extends TwofoldError<'INVALID_ARGUMENT'> {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/**
 * A server a store needs (PostgreSQL, Redis) could not be reached, or dropped the connection during the call.
 * Nothing the failed call meant to write was written, unless the message says otherwise; retrying once the
 * server is back is safe. HTTP answers it with 503.
 */
export class UnavailableError extends TwofoldError<'UNAVAILABLE'> {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** The caller's AbortSignal fired before the message completed. */
export class CancelledError extends TwofoldError<'CANCELLED'> {
  constructor(messageType: string, cause?: unknown) {
    super('CANCELLED', `${messageType} was cancelled`, { cause });
  }
}

/** The message's deadline passed before it completed. */
export class DeadlineExceededError extends TwofoldError<'DEADLINE_EXCEEDED'> {
  constructor(messageType: string) {
    super('DEADLINE_EXCEEDED', `${messageType} did not complete before its deadline`);
  }
}

/**
 * A query asked to read its own writes (`after`), and its read models did not catch up in time.
 * `lagging` names those that had not passed the position.
 */
export class ConsistencyTimeoutError extends TwofoldError<'CONSISTENCY_TIMEOUT'> {
  /** The position the query waited for. */
  readonly after: number;
  /** The names of the read models that had not passed `after` when the wait gave up. */
  readonly lagging: readonly string[];

  constructor(messageType: string, after: number, lagging: readonly string[]) {
    super(
      'CONSISTENCY_TIMEOUT',
      `${messageType}: read model(s) ${lagging.join(', ')} did not reach position ${after} in time`,
    );
    this.after = after;
    this.lagging = lagging;
  }
}

/**
 * A query asked to read its own writes (`after`), and a read model it reads is stopped at an event it could not
 * apply, short of the position: waiting would only time out. Names the read model and where it stopped; the cause
 * is in the runner's status and logs, not here, since it is no business of the caller's.
 *
 * @example
 * err.projection // 'roomAvailability'
 */
export class ProjectionStoppedError extends TwofoldError<'PROJECTION_STOPPED'> {
  /** The name of the stopped read model. */
  readonly projection: string;
  /** The last position the read model applied; the event after it is the one it fails on. */
  readonly position: number;
  /** The position the query waited for. */
  readonly after: number;

  constructor(projection: string, position: number, after: number) {
    super(
      'PROJECTION_STOPPED',
      `Read model ${projection} is stopped at position ${position} on an event it cannot apply, so it cannot reach position ${after}`,
    );
    this.projection = projection;
    this.position = position;
    this.after = after;
  }
}

/**
 * A query asked to read its writes after a position the event log has not reached: no write this store committed
 * could have handed it out, so waiting for it would only time out.
 *
 * @example
 * await mediator.ask(FreeRooms, params, { after: 9_007_199_254_740_991 }) // throws POSITION_AHEAD_OF_LOG
 */
export class PositionAheadOfLogError extends TwofoldError<'POSITION_AHEAD_OF_LOG'> {
  /** The position the query asked to wait for. */
  readonly after: number;

  constructor(after: number) {
    super('POSITION_AHEAD_OF_LOG', `Position ${after} is ahead of the event log: no write has reached it`);
    this.after = after;
  }
}

/**
 * Someone else wrote first: the stream or state was not at the version the write expected. Retrying (load again,
 * decide again) usually succeeds; the write models do it for you, a bounded number of times.
 */
export class ConcurrencyConflictError extends TwofoldError<'CONCURRENCY_CONFLICT'> {
  /** What was written to, in words: `Stream room-1`, `State guests/g1`, or `Idempotency key k`. */
  readonly target: string;
  /** The version the write expected: a number, `'no-stream'`, or `'unused'` for an idempotency key. */
  readonly expected: string | number;
  /** The version the target was at. */
  readonly actual: number;

  constructor(target: string, expected: string | number, actual: number) {
    super('CONCURRENCY_CONFLICT', `${target} is at version ${actual}, but the write expected ${String(expected)}`);
    this.target = target;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A command came with an idempotency key that an earlier, different command (another type, or the same type with
 * another payload) already used. The command did not run; nothing changed. A repeat of the same command under
 * that key returns the stored result instead. HTTP answers it with 422.
 *
 * @example
 * await mediator.send(CancelBooking, { bookingId: 'b1' }, { idempotencyKey: 'k' });
 * await mediator.send(CancelBooking, { bookingId: 'b2' }, { idempotencyKey: 'k' }); // IdempotencyKeyReusedError
 */
export class IdempotencyKeyReusedError extends TwofoldError<'IDEMPOTENCY_KEY_REUSED'> {
  /** The type of the command that stored the key. */
  readonly storedType: string;

  constructor(messageType: string, storedType: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      storedType === messageType
        ? `This idempotency key was already used for ${storedType} with a different payload; use a new key for a new command`
        : `This idempotency key was already used for ${storedType}, not ${messageType}; use a new key for a new command`,
    );
    this.storedType = storedType;
  }
}

/** Stored data cannot be read back: a corrupt row, or an event whose upcasting failed. Names where it is. */
export class CorruptDataError extends TwofoldError<'CORRUPT_DATA'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT_DATA', message, options);
  }
}

/** Something the caller named does not exist: a booking, a dead letter, a read model not built yet. */
export class NotFoundError extends TwofoldError<'NOT_FOUND'> {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** An error as text that survives a restart (name, message, stack), for dead letters and failed deliveries. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** The Twofold error that an aborted signal stands for: DEADLINE_EXCEEDED for a timeout, else CANCELLED. */
export function abortError(signal: AbortSignal, type: string): TwofoldError {
  return abortErrorFor(signal.reason, type);
}

/** The Twofold error that an abort `reason` stands for; see {@link abortError}. */
export function abortErrorFor(reason: unknown, type: string): TwofoldError {
  if (reason instanceof TwofoldError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new DeadlineExceededError(type);
  return new CancelledError(type, reason);
}
