import { type EventEmitter, setMaxListeners } from 'node:events';
import type { DispatchOptions, GlobalPosition, Principal, QueuedCommand } from '@twofold/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Catalog } from './catalog.js';
import type { TwofoldHttpOptions } from './options.js';

/** What every route handler of one plugin instance shares. */
export interface PluginContext {
  readonly options: TwofoldHttpOptions;
  readonly timeout: number;
  /** Where the plugin is mounted, e.g. `/api`; '' at the root. */
  readonly prefix: string;
  catalog(): Catalog;
  /** Whether `principal` may read the queued `command`'s status. */
  canReadCommand(principal: Principal | undefined, command: QueuedCommand): boolean | Promise<boolean>;
  correlationIdOf(request: FastifyRequest): string;
}

/** Who asks, and under which correlation id: the envelope fields every dispatch of a request carries. */
export interface Caller {
  readonly principal: Principal | undefined;
  readonly correlationId: string;
}

/** The caller of a request; synchronous when the plugin authenticates no one, so that a request awaits nothing. */
export function callerOf(context: PluginContext, request: FastifyRequest): Caller | Promise<Caller> {
  const correlationId = context.correlationIdOf(request);
  const { authenticate } = context.options;
  if (authenticate === undefined) return { principal: undefined, correlationId };
  return (async () => ({ principal: await authenticate(request), correlationId }))();
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

const connections = new WeakMap<object, AbortSignal>();

/**
 * A signal that aborts when the client closes the connection before the response is complete. Over HTTP/1 it is
 * the connection's, made once and shared by the requests it carries (each costs microseconds to make): a query's
 * dispatch settles, and stops listening, before its response is written, so when the connection closes only the
 * requests still being answered hear it. HTTP/2 closes streams, not connections: there each request has its own.
 */
export function disconnectSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const socket = request.raw.socket as (EventEmitter & { readonly destroyed?: boolean }) | null | undefined;
  if (request.raw.httpVersionMajor !== 1 || socket === null || socket === undefined) {
    return disconnectController(reply).signal;
  }
  let signal = connections.get(socket);
  if (signal === undefined) {
    const controller = new AbortController();
    signal = controller.signal;
    // Pipelined requests may each listen at once; no leak warning for them.
    setMaxListeners(0, signal);
    connections.set(socket, signal);
    if (socket.destroyed === true) controller.abort(new Error('The client closed the connection'));
    else socket.once('close', () => controller.abort(new Error('The client closed the connection')));
  }
  return signal;
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
