import { Readable } from 'node:stream';
import type { GlobalPosition } from '@twofold/core';
import { HEADERS } from '@twofold/core/wire';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serveLive } from '../live/live.js';
import { HttpProblem, problemFrom } from '../problems/problem.js';
import type { QueryStringValues } from '../schemas/coerce.js';
import type { QueryEntry } from './catalog.js';
import {
  type Caller,
  callerOf,
  disconnectController,
  disconnectSignal,
  dispatchOptions,
  type PluginContext,
  pathOf,
} from './context.js';
import { afterHeaderOf, positionOf } from './headers.js';
import { refuseMethods } from './method-not-allowed.js';

interface QueryInput {
  readonly params: unknown;
  readonly after: GlobalPosition | undefined;
}

/** `GET|POST /queries/{type}` and, with a change source, `GET /queries/{type}/live`. */
export function queryRoutes(instance: FastifyInstance, context: PluginContext, bodyLimit: number): void {
  const answer = async (request: FastifyRequest, reply: FastifyReply, fromBody: boolean) => {
    const entry = entryOf(context, request);
    const pending = callerOf(context, request);
    const caller = pending instanceof Promise ? await pending : pending;
    const input = inputOf(request, entry, fromBody);
    if (entry.definition.streaming) {
      return streamItems(context, reply, { entry, input, caller, controller: disconnectController(reply) });
    }
    const result = await ask(context, entry, input, caller, disconnectSignal(request, reply));
    if (input.after !== undefined && context.options.mediator.readModels?.(entry.definition)?.length === 0) {
      // The query declares no read models, so there was nothing to wait for: say so rather than imply it waited.
      reply.header(HEADERS.consistency, 'none');
    }
    return reply.type('application/json').send(JSON.stringify({ result: result ?? null }));
  };
  instance.get('/queries/:type', (request, reply) => answer(request, reply, false));
  instance.post('/queries/:type', { bodyLimit }, (request, reply) => answer(request, reply, true));
  refuseMethods(instance, '/queries/:type', {
    methods: ['PUT', 'PATCH', 'DELETE'],
    allow: 'GET, POST',
    detail: 'Ask queries with GET, or POST for large inputs',
  });

  const changes = context.options.changes;
  if (changes === undefined) return;
  instance.get('/queries/:type/live', { exposeHeadRoute: false }, async (request, reply) => {
    const entry = entryOf(context, request);
    if (entry.definition.streaming) {
      throw new HttpProblem('NO_HANDLER', `'${entry.definition.type}' is a streaming query and has no live view`);
    }
    const caller = await callerOf(context, request);
    const input = inputOf(request, entry, false);
    const controller = disconnectController(reply);
    const first = await ask(context, entry, input, caller, controller.signal);
    reply.hijack();
    await serveLive({
      response: reply.raw,
      headers: { [HEADERS.correlationId]: caller.correlationId },
      first,
      changes: changes(entry.definition, controller.signal),
      controller,
      rerun: (after) => ask(context, entry, { params: input.params, after }, caller, controller.signal),
      problem: (error) => {
        const problem = problemFrom(error, pathOf(request), caller.correlationId);
        if (problem.unexpected) request.log.error({ err: error }, 'Twofold: a live query failed');
        return problem.body;
      },
    });
  });
}

function entryOf(context: PluginContext, request: FastifyRequest): QueryEntry {
  const { type } = request.params as { type: string };
  const entry = context.catalog().queries.get(type);
  if (entry === undefined) throw new HttpProblem('NO_HANDLER', `There is no query '${type}'`);
  return entry;
}

/**
 * The parameters come from the JSON body, or from the query string coerced by the input's JSON Schema. The
 * read-your-writes token comes from `Twofold-After`, or from `?after=` unless the query has an `after` parameter.
 */
function inputOf(request: FastifyRequest, entry: QueryEntry, fromBody: boolean): QueryInput {
  const query = (request.query ?? {}) as QueryStringValues;
  const afterParam = entry.ownsAfter ? undefined : query.after;
  if (Array.isArray(afterParam)) throw new HttpProblem('MALFORMED_REQUEST', 'Send the after parameter at most once');
  const fromQuery = positionOf(afterParam as string | undefined, 'The after parameter');
  const fromHeader = afterHeaderOf(request);
  const after =
    fromHeader === undefined || fromQuery === undefined
      ? (fromHeader ?? fromQuery)
      : (Math.max(fromHeader, fromQuery) as GlobalPosition);
  if (fromBody) return { params: request.body, after };
  if (afterParam === undefined) return { params: entry.coerce(query), after };
  const { after: _token, ...params } = query;
  return { params: entry.coerce(params), after };
}

/** Asks the query; with `after`, the mediator first waits for the read models the query reads. */
function ask(
  context: PluginContext,
  entry: QueryEntry,
  input: QueryInput,
  caller: Caller,
  signal: AbortSignal,
): Promise<unknown> {
  return context.options.mediator.ask(
    entry.definition as never,
    input.params as never,
    dispatchOptions(caller, { signal, timeout: context.timeout, after: input.after }),
  );
}

interface StreamRequest {
  readonly entry: QueryEntry;
  readonly input: QueryInput;
  readonly caller: Caller;
  readonly controller: AbortController;
}

/** A streaming query answers NDJSON. The first item is read before the headers go out, so early errors are problems. */
async function streamItems(context: PluginContext, reply: FastifyReply, request: StreamRequest): Promise<FastifyReply> {
  const { entry, input, caller, controller } = request;
  const options = dispatchOptions(caller, { signal: controller.signal, timeout: context.timeout, after: input.after });
  const iterator = context.options.mediator
    .stream(entry.definition as never, input.params as never, options)
    [Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* lines(): AsyncGenerator<string> {
    try {
      for (let next = first; next.done !== true; next = await iterator.next()) yield `${JSON.stringify(next.value)}\n`;
    } finally {
      await iterator.return?.();
    }
  }
  return reply.type('application/x-ndjson').send(Readable.from(lines()));
}
