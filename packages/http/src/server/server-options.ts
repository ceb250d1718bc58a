import { createServer, type RequestListener, type Server } from 'node:http';
import { InvalidArgumentError } from '@twofold/core';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { pathOf } from '../plugin/context.js';
import { problemFrom } from '../problems/problem.js';
import { clientErrorHandler } from './client-error.js';

/**
 * Limits on the connections of an HTTP server, all times in milliseconds. Each one bounds what a slow, idle
 * or greedy client can hold: without them Node keeps a connection that never sends its headers for about
 * 90 s and accepts any number of them.
 */
export interface ServerLimits {
  /** Connections open at once; the server closes any beyond it as soon as it is accepted. Default: 1,000. */
  readonly maxConnections?: number;
  /** Time for a new request's headers to arrive, counted from its first byte or the connection. Default: 10 s. */
  readonly headersTimeout?: number;
  /** Time for a whole request, headers and body, to arrive. Default: 30 s. */
  readonly requestTimeout?: number;
  /** How long a connection may stay open with no request after an answer (Node adds 1 s). Default: 5 s. */
  readonly keepAliveTimeout?: number;
  /**
   * How long a socket may go without any traffic at all, also while a request runs: above the plugin's
   * `timeout` (30 s), so a slow command still gets its 504. Default: 60 s.
   */
  readonly connectionTimeout?: number;
  /** Requests one connection may carry; the last answer says `Connection: close`. Default: 1,000. */
  readonly maxRequestsPerSocket?: number;
}

/** The limits {@link serverOptions} applies when it is given none. */
export const DEFAULT_SERVER_LIMITS: Readonly<Required<ServerLimits>> = Object.freeze({
  maxConnections: 1_000,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionTimeout: 60_000,
  maxRequestsPerSocket: 1_000,
});

/** The Fastify options {@link serverOptions} makes. */
export type LimitedServerOptions = Pick<
  FastifyServerOptions,
  'clientErrorHandler' | 'frameworkErrors' | 'serverFactory'
>;

/**
 * Fastify options for a plain HTTP/1.1 server (TLS belongs to the proxy in front of it) with the given limits
 * on its connections, and errors found before routing (431, 408, 400) answered with `Connection: close`. The
 * router's own refusals (a path that is not valid percent-encoding: 400 `MALFORMED_REQUEST`; a path parameter
 * longer than `maxParamLength`: 414 `URI_TOO_LONG`) are problem documents too.
 *
 * @example
 * const app = Fastify({ logger: true, ...serverOptions({ maxConnections: 500, keepAliveTimeout: 65_000 }) });
 * await app.register(twofoldHttp, { prefix: '/api', mediator });
 */
export function serverOptions(limits: ServerLimits = {}): LimitedServerOptions {
  const settings = checked(limits);
  return {
    clientErrorHandler,
    frameworkErrors: routerProblem,
    serverFactory: (handler: RequestListener): Server => {
      const server = createServer(
        {
          headersTimeout: settings.headersTimeout,
          requestTimeout: settings.requestTimeout,
          keepAliveTimeout: settings.keepAliveTimeout,
          // Node looks for requests past their timeouts every 30 s by default, which lets a connection that
          // never finishes its headers live up to 30 s longer than `headersTimeout`.
          connectionsCheckingInterval: Math.max(10, Math.min(1_000, settings.headersTimeout / 4)),
        },
        handler,
      );
      server.maxConnections = settings.maxConnections;
      server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
      server.setTimeout(settings.connectionTimeout);
      return server;
    },
  };
}

// Raised before any plugin's hooks or error handler run, so no correlation id is known yet.
function routerProblem(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const problem = problemFrom(error, pathOf(request), undefined);
  void reply.code(problem.status).type('application/problem+json').send(JSON.stringify(problem.body));
}

function checked(limits: ServerLimits): Required<ServerLimits> {
  if (typeof limits !== 'object' || limits === null) {
    throw new InvalidArgumentError('serverOptions(): limits must be an object');
  }
  const settings = { ...DEFAULT_SERVER_LIMITS };
  for (const name of Object.keys(DEFAULT_SERVER_LIMITS) as (keyof ServerLimits)[]) {
    const value = limits[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new InvalidArgumentError(`serverOptions(): limits.${name} must be a whole number > 0, got ${value}`);
    }
    settings[name] = value;
  }
  if (settings.requestTimeout < settings.headersTimeout) {
    throw new InvalidArgumentError('serverOptions(): limits.requestTimeout must not be shorter than headersTimeout');
  }
  return settings;
}
