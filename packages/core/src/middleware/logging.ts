import { InvalidArgumentError } from '../errors/errors.js';
import type { AnyMiddlewareContext } from '../mediator/context.js';
import type { Middleware } from '../mediator/pipeline.js';
import type { Logger, LogLevel } from '../runtime/logger.js';

/** Options of {@link logging}. */
export interface LoggingOptions {
  /** Level of the success lines. Failures are always logged at 'error' (or 'warn' for expected outcomes). Default: 'info'. */
  readonly level?: LogLevel;
  /** Also log the payload. Default: false, since payloads may hold personal data. */
  readonly payload?: boolean;
}

const EXPECTED = new Set(['VALIDATION_FAILED', 'DOMAIN_RULE', 'FORBIDDEN', 'UNAUTHENTICATED', 'NOT_FOUND']);

/**
 * Logs every dispatch it wraps: type, kind, ids and duration on success; the error on failure. Expected
 * outcomes (a domain rule, a refused caller) are logged at 'warn', anything else at 'error'.
 *
 * @example
 * import pino from 'pino';
 * mediator.use(logging(pino(), { level: 'debug' }));
 */
export function logging(logger: Logger, options: LoggingOptions = {}): Middleware<AnyMiddlewareContext> {
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function') {
    throw new InvalidArgumentError(
      'logging(): the logger must have debug, info, warn and error methods (pino-compatible)',
    );
  }
  const level = options.level ?? 'info';
  if (typeof logger[level] !== 'function') {
    throw new InvalidArgumentError(`logging(): level must be debug, info, warn or error; got ${JSON.stringify(level)}`);
  }
  return async function loggingMiddleware(ctx, next) {
    const start = performance.now();
    const bindings = (extra: object) => ({
      kind: ctx.kind,
      type: ctx.type,
      messageId: ctx.envelope.id,
      correlationId: ctx.envelope.correlationId,
      causationId: ctx.envelope.causationId,
      principal: ctx.principal?.id,
      tenant: ctx.tenant,
      ...(options.payload ? { data: ctx.data } : {}),
      durationMs: Math.round((performance.now() - start) * 1000) / 1000,
      ...extra,
    });
    try {
      const result = await next();
      logger[level](bindings({}), `${ctx.kind} ${ctx.type} handled`);
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const at = typeof code === 'string' && EXPECTED.has(code) ? 'warn' : 'error';
      logger[at](bindings({ err: error, code }), `${ctx.kind} ${ctx.type} failed`);
      throw error;
    }
  };
}
