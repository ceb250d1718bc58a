import { DomainError, isTwofoldError, ProjectionStoppedError, ValidationError } from '@twofold/core';
import { isProblemCode, PROBLEM_STATUS, type ProblemCode, type ProblemDetails } from '@twofold/core/wire';
import { titleOf } from './codes.js';

/** A failure the transport itself detects (bad headers, a reused idempotency key, a failed precondition). */
export class HttpProblem extends Error {
  readonly code: ProblemCode;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: ProblemCode, detail: string, extensions: Readonly<Record<string, unknown>> = {}) {
    super(detail);
    this.code = code;
    this.extensions = extensions;
  }
}

/** What `problemFrom` makes of an error: the document, and whether it was a bug worth logging. */
export interface Problem {
  readonly status: number;
  readonly body: ProblemDetails;
  readonly unexpected: boolean;
}

const INTERNAL_DETAIL = 'An unexpected error occurred. Quote the correlation id when you report it.';

/**
 * Turns anything a request may fail with into a problem document. Twofold errors keep their code and
 * message; Fastify's own 4xx errors (body limit, media type, malformed JSON) become transport codes;
 * everything else is an INTERNAL 500 that says nothing about its cause.
 */
export function problemFrom(error: unknown, instance: string, correlationId: string | undefined): Problem {
  const { code, detail, extensions } = classify(error);
  const status = PROBLEM_STATUS[code];
  const body: ProblemDetails = {
    type: `urn:twofold:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: titleOf(status),
    status,
    code,
    detail,
    instance,
    ...(correlationId === undefined ? {} : { correlationId }),
    ...extensions,
  };
  return { status, body, unexpected: code === 'INTERNAL' };
}

function classify(error: unknown): { code: ProblemCode; detail: string; extensions: Record<string, unknown> } {
  if (error instanceof HttpProblem) return { code: error.code, detail: error.message, extensions: error.extensions };
  if (error instanceof ValidationError) {
    return { code: 'VALIDATION_FAILED', detail: error.message, extensions: { issues: error.issues } };
  }
  if (error instanceof DomainError) {
    const extensions: Record<string, unknown> = { rule: error.rule };
    if (error.details !== undefined) extensions.details = error.details;
    return { code: 'DOMAIN_RULE', detail: error.message, extensions };
  }
  if (error instanceof ProjectionStoppedError) {
    return { code: 'PROJECTION_STOPPED', detail: error.message, extensions: { projection: error.projection } };
  }
  if (isTwofoldError(error)) {
    // INVALID_ARGUMENT, DUPLICATE_HANDLER, MIDDLEWARE_MISUSE… are bugs on the server side, not the caller's.
    if (isProblemCode(error.code)) return { code: error.code, detail: error.message, extensions: {} };
    return { code: 'INTERNAL', detail: INTERNAL_DETAIL, extensions: {} };
  }
  const fastify = fastifyStatus(error);
  if (fastify !== undefined) {
    return { code: FASTIFY_CODES[fastify] ?? 'MALFORMED_REQUEST', detail: (error as Error).message, extensions: {} };
  }
  return { code: 'INTERNAL', detail: INTERNAL_DETAIL, extensions: {} };
}

/** The codes of the 4xx statuses Fastify answers with while reading or routing a request; any other is malformed. */
const FASTIFY_CODES: Readonly<Record<number, ProblemCode>> = {
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** The 4xx status of an error Fastify raised while reading the request, if it is one. */
function fastifyStatus(error: unknown): number | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code !== 'string' || !code.startsWith('FST_')) return undefined;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined;
}
