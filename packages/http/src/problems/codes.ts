import type { ErrorCode } from '@twofold/core';

/**
 * Every `code` a problem+json response can carry: core's codes that a caller can act on, plus the ones only
 * HTTP has (a body that is not JSON, an idempotency key still in use…). Anything else is reported as `INTERNAL`.
 */
export type ProblemCode =
  | Extract<
      ErrorCode,
      | 'VALIDATION_FAILED'
      | 'UNAUTHENTICATED'
      | 'FORBIDDEN'
      | 'NO_HANDLER'
      | 'NOT_FOUND'
      | 'CONCURRENCY_CONFLICT'
      | 'IDEMPOTENCY_KEY_REUSED'
      | 'DOMAIN_RULE'
      | 'CANCELLED'
      | 'DEADLINE_EXCEEDED'
      | 'CONSISTENCY_TIMEOUT'
      | 'PROJECTION_STOPPED'
      | 'POSITION_AHEAD_OF_LOG'
      | 'UNAVAILABLE'
    >
  | 'MALFORMED_REQUEST'
  | 'METHOD_NOT_ALLOWED'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'INTERNAL';

/**
 * The HTTP status of each problem code: the one table that turns Twofold's codes into statuses.
 *
 * @example
 * PROBLEM_STATUS.DOMAIN_RULE // 422
 */
export const PROBLEM_STATUS: Readonly<Record<ProblemCode, number>> = Object.freeze({
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
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
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
});

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  422: 'Unprocessable Content',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function titleOf(status: number): string {
  return TITLES[status] ?? 'Error';
}

export function isProblemCode(value: unknown): value is ProblemCode {
  return typeof value === 'string' && Object.hasOwn(PROBLEM_STATUS, value);
}
