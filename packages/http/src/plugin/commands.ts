import { type CommandResultBody, HEADERS } from '@twofold/core/wire';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunningKeys } from '../idempotency/running-keys.js';
import { HttpProblem } from '../problems/problem.js';
import type { CommandEntry } from './catalog.js';
import { type Caller, callerOf, dispatchOptions, type PluginContext } from './context.js';
import { idempotencyKeyOf, ifMatchOf } from './headers.js';
import { refuseMethods } from './method-not-allowed.js';
import { preferencesOf } from './prefer.js';
import { enqueue } from './queued-commands.js';

/** What a command answers: status, headers and the serialized JSON body. */
interface CommandResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * `POST /commands/{type}`: runs one command, answers `{ result, position }`; with `Prefer: respond-async` and a
 * queue, queues it and answers 202 (see `enqueue`).
 */
export function commandRoutes(instance: FastifyInstance, context: PluginContext, bodyLimit: number): void {
  const store = context.options.idempotency === false ? undefined : context.options.idempotency;
  instance.post('/commands/:type', { bodyLimit }, async (request, reply) => {
    const { type } = request.params as { type: string };
    const entry = context.catalog().commands.get(type);
    if (entry === undefined) throw new HttpProblem('NO_HANDLER', `There is no command '${type}'`);
    const pending = callerOf(context, request);
    const caller = pending instanceof Promise ? await pending : pending;
    const ifMatch = ifMatchOf(request);
    const key = store === undefined ? undefined : idempotencyKeyOf(request);
    const queued = context.options.queue !== undefined && preferencesOf(request).respondAsync;
    if (ifMatch !== undefined && context.options.precondition !== undefined) {
      const ok = await context.options.precondition({
        command: entry.definition,
        payload: request.body,
        ifMatch,
        principal: caller.principal,
      });
      if (!ok) throw new HttpProblem('PRECONDITION_FAILED', `If-Match does not match the current version`);
    }
    const metadata: Record<string, unknown> = {};
    if (ifMatch !== undefined) metadata.ifMatch = ifMatch;
    // The key reaches the write model, which keeps the command and its result with the command's own commit: a
    // repeat gets that result, and another command under the key a 422, after a restart and on any node alike.
    const scoped = key === undefined ? undefined : scopedKey(caller, key);
    if (queued) return enqueue(context, entry, request.body, { caller, metadata, scopedKey: scoped }, reply);
    const run = () => execute(context, entry, request.body, caller, metadata, scoped);
    const response =
      scoped === undefined || store === undefined ? await run() : await once(store, request, scoped, run);
    return send(reply, response);
  });
  refuseMethods(instance, '/commands/:type', {
    methods: ['GET', 'PUT', 'PATCH', 'DELETE'],
    allow: 'POST',
    detail: 'Send commands with POST',
  });
}

async function execute(
  context: PluginContext,
  entry: CommandEntry,
  body: unknown,
  caller: Caller,
  metadata: Record<string, unknown>,
  idempotencyKey: string | undefined,
): Promise<CommandResponse> {
  const options = dispatchOptions(caller, { timeout: context.timeout, metadata, idempotencyKey });
  const executed = await context.options.mediator.execute(entry.definition, body as never, options);
  const { result, position } = executed;
  const headers: Record<string, string> = {};
  if (position !== undefined) headers[HEADERS.position] = String(position);
  if (executed.replayed) headers[HEADERS.idempotentReplayed] = 'true';
  const answer: CommandResultBody = { result: result ?? null, position: position ?? null };
  return { status: 200, headers, body: JSON.stringify(answer) };
}

/**
 * Runs `run` unless a request with the same key is still running: that one is answered 409, as
 * draft-ietf-httpapi-idempotency-key-header proposes. Whether a repeat runs again is the command's write model's
 * to say, from its record.
 */
async function once(
  running: RunningKeys,
  request: FastifyRequest,
  key: string,
  run: () => Promise<CommandResponse>,
): Promise<CommandResponse> {
  if (!(await running.claim(key))) {
    throw new HttpProblem('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still running');
  }
  try {
    return await run();
  } finally {
    // The command has answered; failing the request now would invite a retry for nothing.
    await running.release(key).catch((error: unknown) => {
      request.log.error({ err: error }, 'Twofold: could not release an Idempotency-Key');
    });
  }
}

/**
 * Keys are per caller, so one caller can never replay another's response; not per command type, so a key used
 * for one command and sent again with another reaches the write model, which refuses it.
 */
function scopedKey(caller: Caller, key: string): string {
  return JSON.stringify([caller.principal?.id ?? null, key]);
}

function send(reply: FastifyReply, response: CommandResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).type('application/json').send(response.body);
}
