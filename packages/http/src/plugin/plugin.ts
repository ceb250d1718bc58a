import { InvalidArgumentError } from '@twofold/core';
import { HEADERS } from '@twofold/core/wire';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { memoryRunningKeys } from '../idempotency/running-keys.js';
import { docsPage } from '../openapi/docs-page.js';
import { type OpenApiDocument, openApiDocument } from '../openapi/openapi.js';
import { problemFrom } from '../problems/problem.js';
import { bodyDepthLimit, DEFAULT_MAX_BODY_DEPTH } from './body-depth.js';
import { type Catalog, catalogOf } from './catalog.js';
import { commandRoutes } from './commands.js';
import { type PluginContext, pathOf } from './context.js';
import { correlationIdOf } from './headers.js';
import type { CanReadCommand, TwofoldHttpOptions } from './options.js';
import { queryRoutes } from './queries.js';
import { commandStatusRoute } from './queued-commands.js';

const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_TIMEOUT = 30_000;

/**
 * The Fastify plugin that serves a mediator over HTTP: `POST /commands/{type}`, `GET|POST /queries/{type}`,
 * `GET /queries/{type}/live` (server-sent events, with a `changes` source), `GET /openapi.json` and a docs
 * page at `GET /docs`. Every error is `application/problem+json` with a stable `code`. The plugin is
 * encapsulated: its error handler and body parsing apply to its own routes only; mount it under a `prefix`.
 *
 * @example
 * const app = Fastify();
 * await app.register(twofoldHttp, { prefix: '/api', mediator, authenticate: bearer(verify) });
 * await app.listen({ port: 3000 });
 * // curl -X POST localhost:3000/api/commands/hotel.BookRoom -H 'content-type: application/json' -d '{…}'
 */
export const twofoldHttp: FastifyPluginAsync<TwofoldHttpOptions> = async (instance, options) => {
  const settings = checked(options);
  const correlationIds = new WeakMap<FastifyRequest, string>();
  let catalog: Catalog | undefined;
  let document: OpenApiDocument | undefined;
  const context: PluginContext = {
    options: settings,
    timeout: settings.timeout ?? DEFAULT_TIMEOUT,
    prefix: instance.prefix,
    canReadCommand:
      settings.canReadCommand ?? (settings.authenticate === undefined ? enqueuedBySameCaller : enqueuedBySameSignedIn),
    catalog: () => {
      catalog ??= catalogOf(settings.mediator, settings.toJsonSchema);
      return catalog;
    },
    correlationIdOf: (request) => correlationIds.get(request) ?? correlationIdOf(request),
  };
  const openApi = () => {
    document ??= openApiDocument(context.catalog(), {
      info: {
        title: settings.info?.title ?? 'Twofold API',
        version: settings.info?.version ?? '0.0.0',
        ...(settings.info?.description === undefined ? {} : { description: settings.info.description }),
      },
      prefix: instance.prefix,
      bearer: settings.authenticate !== undefined,
      live: settings.changes !== undefined,
      queue: settings.queue !== undefined,
    });
    return document;
  };
  // The registry is read once the server starts, so handlers registered after the plugin still count.
  instance.addHook('onReady', async () => {
    context.catalog();
  });

  // A callback hook rather than an async one: no promise per request.
  instance.addHook('onRequest', (request, reply, done) => {
    let id: string;
    try {
      id = correlationIdOf(request);
    } catch (error) {
      // Even an answer to a malformed correlation header carries an id: a fresh one.
      correlationIds.set(request, crypto.randomUUID());
      done(error as Error);
      return;
    }
    correlationIds.set(request, id);
    reply.header(HEADERS.correlationId, id);
    done();
  });
  instance.setErrorHandler((error, request, reply) => sendProblem(request, reply, error, correlationIds.get(request)));
  // Only JSON bodies: a text/plain body is a 415, not a string payload.
  instance.removeContentTypeParser('text/plain');

  // Before validation, the Idempotency-Key check or the mediator read the body: none of them then meets a depth
  // that would overflow its stack.
  instance.addHook('preValidation', bodyDepthLimit(settings.maxBodyDepth ?? DEFAULT_MAX_BODY_DEPTH));

  const bodyLimit = settings.bodyLimit ?? DEFAULT_BODY_LIMIT;
  commandRoutes(instance, context, bodyLimit);
  commandStatusRoute(instance, context);
  queryRoutes(instance, context, bodyLimit);
  instance.get('/openapi.json', async () => openApi());
  instance.get('/docs', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(docsPage(openApi(), `${instance.prefix}/openapi.json`)),
  );
};

const enqueuedBySameCaller: CanReadCommand = (principal, command) => principal?.id === command.envelope.principal?.id;
// Where callers sign in, a command queued with no principal came from the server (a process manager, a job): an
// anonymous caller may neither read nor cancel it.
const enqueuedBySameSignedIn: CanReadCommand = (principal, command) =>
  principal !== undefined && enqueuedBySameCaller(principal, command);

function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown, correlationId: string | undefined) {
  const problem = problemFrom(error, pathOf(request), correlationId);
  if (problem.unexpected) request.log.error({ err: error, correlationId }, 'Twofold: unexpected error');
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer');
  if (correlationId !== undefined) reply.header(HEADERS.correlationId, correlationId);
  return reply.code(problem.status).type('application/problem+json').send(JSON.stringify(problem.body));
}

function checked(options: TwofoldHttpOptions): TwofoldHttpOptions {
  const where = 'twofoldHttp';
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${where}: options must be an object with a mediator`);
  }
  const mediator = options.mediator as Partial<TwofoldHttpOptions['mediator']> | undefined;
  if (mediator === undefined || typeof mediator.definitions !== 'function' || typeof mediator.execute !== 'function') {
    throw new InvalidArgumentError(`${where}: options.mediator must be a mediator from createMediator()`);
  }
  for (const name of ['authenticate', 'changes', 'precondition', 'toJsonSchema', 'canReadCommand'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidArgumentError(`${where}: options.${name} must be a function`);
    }
  }
  for (const name of ['bodyLimit', 'timeout', 'maxBodyDepth'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new InvalidArgumentError(`${where}: options.${name} must be a whole number > 0`);
    }
  }
  const queue = options.queue as Partial<TwofoldHttpOptions['queue']> | undefined;
  if (queue !== undefined && (typeof queue?.enqueue !== 'function' || typeof queue.get !== 'function')) {
    throw new InvalidArgumentError(`${where}: options.queue must be a command queue (a database's commands)`);
  }
  if (queue !== undefined && typeof mediator.admit !== 'function') {
    throw new InvalidArgumentError(`${where}: options.queue needs a mediator that can admit commands`);
  }
  const idempotency = options.idempotency;
  if (idempotency !== undefined && idempotency !== false && typeof idempotency?.claim !== 'function') {
    throw new InvalidArgumentError(`${where}: options.idempotency must be RunningKeys (claim, release) or false`);
  }
  return { ...options, idempotency: idempotency ?? memoryRunningKeys() };
}
