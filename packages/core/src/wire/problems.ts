import type { CommandStatus } from '../command-queue/records.js';
import type { ValidationIssue } from '../errors/errors.js';

// Core's codes a caller can act on, then the ones only HTTP has. Core's codes left out (INVALID_ARGUMENT,
// DUPLICATE_HANDLER, MIDDLEWARE_MISUSE…) are bugs on the server's side, answered as INTERNAL.
const STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_REQUEST: 400,
  // A read-your-writes token no write of this log handed out: asking again will not help.
  POSITION_AHEAD_OF_LOG: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NO_HANDLER: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  // Before routing: the request did not arrive within the server's headersTimeout or requestTimeout.
  REQUEST_TIMEOUT: 408,
  CONCURRENCY_CONFLICT: 409,
  // draft-ietf-httpapi-idempotency-key-header: 409 while the first request runs, 422 for a different request.
  IDEMPOTENCY_KEY_IN_USE: 409,
  // DELETE on a queued command that is running or already final: its status is in the problem.
  NOT_CANCELLABLE: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  // Before the route's handler: a path parameter longer than the router's maxParamLength.
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  DOMAIN_RULE: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  // The de-facto status for "the client went away"; nobody reads it but the access log.
  CANCELLED: 499,
  INTERNAL: 500,
  // A store's server is down: the request may succeed later, and changed nothing now.
  UNAVAILABLE: 503,
  // A read model is stopped on an event it cannot apply: the query may succeed once that is fixed.
  PROJECTION_STOPPED: 503,
  DEADLINE_EXCEEDED: 504,
  CONSISTENCY_TIMEOUT: 504,
} as const;

/**
 * Every `code` a problem document can carry: core's codes that a caller can act on, plus the ones only HTTP has
 * (a body that is not JSON, an idempotency key still in use…). Anything else is answered as `INTERNAL`. It is
 * the keys of {@link PROBLEM_STATUS}, so a code added there is known to the server and the client alike.
 *
 * @example
 * const code: ProblemCode = 'DOMAIN_RULE';
 */
export type ProblemCode = keyof typeof PROBLEM_STATUS;

/**
 * The HTTP status of each problem code: the one table that turns Twofold's codes into statuses, and the list of
 * codes the client recognises.
 *
 * @example
 * import { PROBLEM_STATUS } from '@twofold/core/wire';
 * PROBLEM_STATUS.DOMAIN_RULE; // 422
 */
export const PROBLEM_STATUS = Object.freeze(STATUS);

/**
 * True when `value` is a {@link ProblemCode}; narrows the type.
 *
 * @example
 * isProblemCode('NOT_FOUND');        // true
 * isProblemCode('INVALID_ARGUMENT'); // false: a bug on the server's side, answered as INTERNAL
 */
export function isProblemCode(value: unknown): value is ProblemCode {
  return typeof value === 'string' && Object.hasOwn(PROBLEM_STATUS, value);
}

/**
 * An RFC 9457 problem details document, as every error response of the HTTP API carries it
 * (`Content-Type: application/problem+json`). Switch on `code`; `title` and `detail` are for people.
 *
 * @example
 * { "type": "urn:twofold:problem:domain-rule", "title": "Unprocessable Content", "status": 422,
 *   "code": "DOMAIN_RULE", "rule": "ROOM_TAKEN", "detail": "Room 101 is booked for those nights",
 *   "instance": "/commands/hotel.BookRoom", "correlationId": "4f0c…" }
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail?: string;
  readonly instance?: string;
  readonly correlationId?: string;
  /** VALIDATION_FAILED: each problem with its path into the payload. */
  readonly issues?: readonly ValidationIssue[];
  /** PROJECTION_STOPPED: the read model that is stopped. */
  readonly projection?: string;
  /** DOMAIN_RULE: the rule that refused the command, and its details. */
  readonly rule?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** NOT_CANCELLABLE: the status of the queued command that could not be cancelled. */
  readonly commandStatus?: CommandStatus;
}
