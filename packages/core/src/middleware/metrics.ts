import { InvalidArgumentError } from '../errors/errors.js';
import type { AnyMiddlewareContext } from '../mediator/context.js';
import type { Middleware } from '../mediator/pipeline.js';
import type { MessageKind } from '../messages/define.js';

/** One timed dispatch, as handed to a {@link metrics} sink. */
export interface DispatchSample {
  readonly kind: MessageKind;
  readonly type: string;
  readonly tags: readonly string[];
  /** Wall time of the rest of the pipeline and the handler, in milliseconds. */
  readonly durationMs: number;
  readonly ok: boolean;
  /** The error's stable code when it has one (`DOMAIN_RULE`…), else its name. */
  readonly error: string | undefined;
}

/**
 * Times every dispatch it wraps and hands one {@link DispatchSample} to `record`: feed it to
 * Prometheus, OpenTelemetry, or a histogram of your own. A throwing sink never breaks a dispatch.
 *
 * @example
 * mediator.use(metrics((s) => histogram.observe({ type: s.type, ok: String(s.ok) }, s.durationMs)));
 */
export function metrics(record: (sample: DispatchSample) => void): Middleware<AnyMiddlewareContext> {
  if (typeof record !== 'function') throw new InvalidArgumentError('metrics(): record must be a function');
  return async function metricsMiddleware(ctx, next) {
    const start = performance.now();
    const emit = (ok: boolean, error: unknown) => {
      const code = error === undefined ? undefined : ((error as { code?: unknown }).code ?? (error as Error).name);
      try {
        record({
          kind: ctx.kind,
          type: ctx.type,
          tags: ctx.tags,
          durationMs: performance.now() - start,
          ok,
          error: code === undefined ? undefined : String(code),
        });
      } catch (sinkError) {
        ctx.logger.warn({ err: sinkError }, 'metrics sink threw');
      }
    };
    try {
      const result = await next();
      emit(true, undefined);
      return result;
    } catch (error) {
      emit(false, error);
      throw error;
    }
  };
}
