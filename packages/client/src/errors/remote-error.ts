import type { ValidationIssue } from '@twofold/core';
import { isProblemCode, type ProblemCode, type ProblemDetails } from '@twofold/core/wire';

/**
 * The `code` of an error the server answered: every code of the server's problem documents (`ProblemCode` of
 * `@twofold/core/wire`: core's codes a caller can act on and the codes only HTTP has), and `UNEXPECTED_RESPONSE`
 * for an answer that was not a Twofold problem document (a proxy's error page…).
 *
 * @example
 * const code: RemoteErrorCode = 'UNEXPECTED_RESPONSE';
 */
export type RemoteErrorCode = ProblemCode | 'UNEXPECTED_RESPONSE';

/**
 * An RFC 9457 problem document as it arrives: the fields of the server's `ProblemDetails`, any of which a proxy
 * or another server may have left out, with its `code` still unchecked, and whatever extensions it carries.
 *
 * @example
 * if (isRemoteError(e, 'DOMAIN_RULE')) e.problem?.instance; // '/commands/hotel.BookRoom'
 */
export type ProblemDocument = Partial<Omit<ProblemDetails, 'code'>> & {
  readonly code?: string;
  readonly [extension: string]: unknown;
};

/**
 * True when `code` is a code the client knows. Answers with a code from a newer server are UNEXPECTED_RESPONSE.
 *
 * @example
 * isRemoteErrorCode('DOMAIN_RULE'); // true
 */
export function isRemoteErrorCode(code: unknown): code is RemoteErrorCode {
  return code === 'UNEXPECTED_RESPONSE' || isProblemCode(code);
}

/**
 * An error the server answered, with the same stable `code` the server side speaks. Switch on `code`;
 * `issues` lists what failed validation, `rule` and `details` say which business rule refused a command.
 *
 * @example
 * try { await client.send(BookRoom, input) }
 * catch (e) {
 *   if (isRemoteError(e, 'DOMAIN_RULE') && e.rule === 'ROOM_TAKEN') showTaken();
 *   else if (isRemoteError(e, 'VALIDATION_FAILED')) showIssues(e.issues);
 *   else throw e;
 * }
 */
export class RemoteError<C extends RemoteErrorCode = RemoteErrorCode> extends Error {
  readonly code: C;
  /** The HTTP status. */
  readonly status: number;
  /** VALIDATION_FAILED: each problem and its path into the payload; empty for other codes. */
  readonly issues: readonly ValidationIssue[];
  /** DOMAIN_RULE: the rule that refused the command. */
  readonly rule: C extends 'DOMAIN_RULE' ? string : string | undefined;
  /** DOMAIN_RULE: what the rule reported along with it. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** The id to quote when reporting the error: it ties the request to the server's logs. */
  readonly correlationId: string | undefined;
  /** The whole problem document, when the server sent one. */
  readonly problem: ProblemDocument | undefined;

  constructor(
    code: C,
    status: number,
    message: string,
    problem?: ProblemDocument,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.problem = problem;
    this.issues = Array.isArray(problem?.issues) ? problem.issues : [];
    this.rule = (typeof problem?.rule === 'string' ? problem.rule : undefined) as this['rule'];
    this.details = typeof problem?.details === 'object' && problem.details !== null ? problem.details : undefined;
    this.correlationId = typeof problem?.correlationId === 'string' ? problem.correlationId : undefined;
  }

  /** `'RemoteError'`. */
  override get name(): string {
    return 'RemoteError';
  }
}

/**
 * True when `error` is a {@link RemoteError}, optionally with the given code; narrows the type.
 *
 * @example
 * if (isRemoteError(e, 'UNAUTHENTICATED')) redirectToLogin();
 */
export function isRemoteError<C extends RemoteErrorCode>(error: unknown, code?: C): error is RemoteError<C> {
  return error instanceof RemoteError && (code === undefined || error.code === code);
}

/** Makes a RemoteError of a failed response: its problem document if it has one, else UNEXPECTED_RESPONSE. */
export async function remoteErrorOf(response: Response): Promise<RemoteError> {
  const type = response.headers.get('content-type') ?? '';
  if (/^application\/(problem\+)?json\b/.test(type)) {
    try {
      return problemError(response.status, (await response.json()) as ProblemDocument);
    } catch {
      // Not JSON after all: fall through.
    }
  }
  return new RemoteError(
    'UNEXPECTED_RESPONSE',
    response.status,
    `The server answered ${response.status} ${response.statusText} without a problem document`,
  );
}

/**
 * Makes a RemoteError of a request that got no usable answer: `CANCELLED` when the caller's signal aborted it,
 * `UNEXPECTED_RESPONSE` when the body was not what the server promised, `UNAVAILABLE` (status 0) when the server
 * could not be reached or the connection broke. `cause` is the original error.
 */
export function transportError(error: unknown, url: string, signal: AbortSignal | undefined): RemoteError {
  if (error instanceof RemoteError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (signal?.aborted === true || (error instanceof Error && error.name === 'AbortError')) {
    return new RemoteError('CANCELLED', 0, `The request to ${url} was cancelled`, undefined, { cause: error });
  }
  if (error instanceof SyntaxError) {
    return new RemoteError('UNEXPECTED_RESPONSE', 0, `${url} answered with malformed JSON: ${reason}`, undefined, {
      cause: error,
    });
  }
  return new RemoteError('UNAVAILABLE', 0, `${url} could not be reached: ${reason}`, undefined, { cause: error });
}

export function problemError(status: number, problem: ProblemDocument): RemoteError {
  if (typeof problem !== 'object' || problem === null || !isRemoteErrorCode(problem.code)) {
    return new RemoteError('UNEXPECTED_RESPONSE', status, `The server answered ${status} with an unknown problem`);
  }
  const message = typeof problem.detail === 'string' ? problem.detail : (problem.title ?? problem.code);
  return new RemoteError(problem.code, status, message, problem);
}
