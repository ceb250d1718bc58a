import type { DispatchOptions, GlobalPosition, Principal } from '@twofold/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Catalog } from './catalog.js';
import type { TwofoldHttpOptions } from './options.js';

/** What every route handler of one plugin instance shares. */
export interface PluginContext {
  readonly options: TwofoldHttpOptions;
  readonly timeout: number;
  catalog(): Catalog;
  correlationIdOf(request: FastifyRequest): string;
}

/** Who asks, and under which correlation id: the envelope fields every dispatch of a request carries. */
export interface Caller {
  readonly principal: Principal | undefined;
  readonly correlationId: string;
}

export async function callerOf(context: PluginContext, request: FastifyRequest): Promise<Caller> {
  const correlationId = context.correlationIdOf(request);
  const principal =
    context.options.authenticate === undefined ? undefined : await context.options.authenticate(request);
  return { principal, correlationId };
}

export function dispatchOptions(
  caller: Caller,
  extra: {
    signal?: AbortSignal;
    timeout: number;
    metadata?: Readonly<Record<string, unknown>>;
    after?: GlobalPosition | undefined;
    idempotencyKey?: string | undefined;
  },
): DispatchOptions {
  return {
    correlationId: caller.correlationId,
    timeout: extra.timeout,
    ...(caller.principal === undefined ? {} : { principal: caller.principal }),
    ...(extra.signal === undefined ? {} : { signal: extra.signal }),
    ...(extra.metadata === undefined ? {} : { metadata: extra.metadata }),
    ...(extra.after === undefined ? {} : { after: extra.after }),
    ...(extra.idempotencyKey === undefined ? {} : { idempotencyKey: extra.idempotencyKey }),
  };
}

/** An AbortController that aborts when the client closes the connection before the response is complete. */
export function disconnectController(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('The client closed the connection'));
  });
  return controller;
}

/** The path of the request, without its query string: the `instance` of a problem. */
export function pathOf(request: FastifyRequest): string {
  const index = request.url.indexOf('?');
  return index === -1 ? request.url : request.url.slice(0, index);
}
