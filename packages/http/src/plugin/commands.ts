import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotencyStore, StoredResponse } from '../idempotency/idempotency-store.js';
import { HttpProblem } from '../problems/problem.js';
import type { CommandEntry } from './catalog.js';
import { type Caller, callerOf, dispatchOptions, type PluginContext } from './context.js';
import { HEADERS, idempotencyKeyOf, ifMatchOf } from './headers.js';

/** `POST /commands/{type}`: runs one command, answers `{ result, position }`. */
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
    // The key also reaches the write model, which stores the result with the command's own commit: a repeat
    // after a restart (when this process's response store is gone) still returns the first result.
    const scoped = key === undefined ? undefined : scopedKey(caller, type, key);
    const run = () => execute(context, entry, request.body, caller, metadata, scoped);
    const response =
      scoped === undefined || store === undefined
        ? await run()
        : await idempotent(store, request, { key: scoped, body: request.body, type }, run);
    return send(reply, response);
  });
  instance.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/commands/:type',
    handler: async (_request, reply) => {
      reply.header('allow', 'POST');
      throw new HttpProblem('METHOD_NOT_ALLOWED', 'Send commands with POST');
    },
  });
}

async function execute(
  context: PluginContext,
  entry: CommandEntry,
  body: unknown,
  caller: Caller,
  metadata: Record<string, unknown>,
  idempotencyKey: string | undefined,
): Promise<StoredResponse> {
  const options = dispatchOptions(caller, { timeout: context.timeout, metadata, idempotencyKey });
  const { result, position } = await context.options.mediator.execute(entry.definition, body as never, options);
  return {
    status: 200,
    headers: position === undefined ? {} : { [HEADERS.position]: String(position) },
    body: JSON.stringify({ result: result ?? null, position: position ?? null }),
  };
}

interface IdempotentRequest {
  readonly key: string;
  readonly type: string;
  readonly body: unknown;
}

/**
 * Runs `run` once per key. A repeat with the same body replays the stored response; with a different body
 * it is a 422, and while the first is still running a 409 (as draft-ietf-httpapi-idempotency-key-header
 * proposes). Only successes are stored: a failed command changed nothing, so its retry runs again.
 */
async function idempotent(
  store: IdempotencyStore,
  request: FastifyRequest,
  idempotent: IdempotentRequest,
  run: () => Promise<StoredResponse>,
): Promise<StoredResponse> {
  const fingerprint = createHash('sha256')
    .update(`${idempotent.type}\n${canonicalJson(idempotent.body)}`)
    .digest('base64url');
  const claim = await store.claim(idempotent.key, fingerprint);
  switch (claim.state) {
    case 'claimed': {
      let response: StoredResponse;
      try {
        response = await run();
      } catch (error) {
        await store.release(idempotent.key);
        throw error;
      }
      try {
        await store.complete(idempotent.key, response);
      } catch (error) {
        // The command has run; answering 500 now would invite a retry that runs it twice.
        request.log.error({ err: error }, 'Twofold: could not store the idempotent response');
      }
      return response;
    }
    case 'in-flight':
    case 'completed': {
      if (claim.fingerprint !== fingerprint) {
        throw new HttpProblem(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used for a different request; use a new key for a new request',
        );
      }
      if (claim.state === 'in-flight') {
        throw new HttpProblem('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still running');
      }
      return { ...claim.response, headers: { ...claim.response.headers, [HEADERS.idempotentReplayed]: 'true' } };
    }
    default:
      return claim satisfies never;
  }
}

/** Keys are per caller and command type, so one caller can never replay another's response. */
function scopedKey(caller: Caller, type: string, key: string): string {
  return JSON.stringify([caller.principal?.id ?? null, type, key]);
}

/** JSON with object keys sorted, so that `{a,b}` and `{b,a}` fingerprint the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function send(reply: FastifyReply, response: StoredResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).type('application/json').send(response.body);
}
