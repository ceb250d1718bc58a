import { createHash } from 'node:crypto';
import {
  type CommandQueueStore,
  enqueueCommand,
  IdempotencyKeyReusedError,
  type Mediator,
  type QueuedCommand,
} from '@twofold/core';
import { payloadFingerprint, WakeSignal } from '@twofold/core/adapters';
import {
  type AcceptedCommandBody,
  type CommandStatusBody,
  type CommandStatusProblem,
  commandStatusPath,
  FINAL_COMMAND_STATUSES,
  HEADERS,
  isProblemCode,
} from '@twofold/core/wire';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../problems/problem.js';
import type { CommandEntry } from './catalog.js';
import { type Caller, callerOf, disconnectController, type PluginContext } from './context.js';
import { refuseMethods } from './method-not-allowed.js';
import { preferencesOf } from './prefer.js';

/** What `enqueue` needs of one request, beyond its command and body. */
export interface QueuedRequest {
  readonly caller: Caller;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The Idempotency-Key, scoped to the caller; undefined without one. */
  readonly scopedKey: string | undefined;
}

// Queued ids are UUIDs, or a caller's own message ids; nothing longer or stranger names a status resource.
const ID = /^[\w.:@+=-]{1,128}$/;
const UNEXPECTED = 'The command failed unexpectedly. Quote its id when you report it.';

/**
 * Validates and authorizes a command as `send` would, stores it in the queue, and answers 202 with its status
 * resource in `Location`. Under an Idempotency-Key the queued id is derived from the key, so a retry finds the
 * command already queued: the same command is answered with it, another one is 422 IDEMPOTENCY_KEY_REUSED.
 */
export async function enqueue(
  context: PluginContext,
  entry: CommandEntry,
  body: unknown,
  request: QueuedRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { caller, metadata, scopedKey } = request;
  const queue = context.options.queue as CommandQueueStore;
  const command = await enqueueCommand(
    context.options.mediator as Pick<Mediator, 'admit'>,
    queue,
    entry.definition,
    body as never,
    {
      correlationId: caller.correlationId,
      metadata,
      ...(caller.principal === undefined ? {} : { principal: caller.principal }),
      ...(scopedKey === undefined ? {} : { idempotencyKey: scopedKey, messageId: idOfKey(scopedKey) }),
    },
  );
  if (scopedKey !== undefined) await sameCommand(entry, command, body);
  const answer: AcceptedCommandBody = { id: command.id, status: command.status };
  return reply
    .code(202)
    .header(HEADERS.location, `${context.prefix}/${commandStatusPath(command.id)}`)
    .header(HEADERS.preferenceApplied, 'respond-async')
    .type('application/json')
    .send(JSON.stringify(answer));
}

/**
 * `GET /commands/status/{id}`: a queued command's status, to the caller who may read it (see `canReadCommand`);
 * anyone else gets the 404 an unknown id gets. With `Prefer: wait=N`, it answers once the command is final or N
 * seconds have passed. `DELETE` on it cancels the command while it is `queued` or `failed` (awaiting a retry):
 * 200 with its status `cancelled` (also when it was cancelled already), 409 NOT_CANCELLABLE naming its status
 * when it is `running`, `succeeded` or `dead`. Any other method is 405 METHOD_NOT_ALLOWED.
 */
export function commandStatusRoute(instance: FastifyInstance, context: PluginContext): void {
  // A wildcard rather than `:id`, so that an id too long for the router is this route's 400, with a problem.
  instance.get('/commands/status/*', async (request, reply) => {
    const { wait } = preferencesOf(request);
    const { queue, command: found } = await readable(context, request);
    let command = found;
    if (wait !== undefined) {
      command = await settled(queue, command, wait * 1000, request, reply);
      reply.header(HEADERS.preferenceApplied, `wait=${wait}`);
    }
    return sendStatus(reply, command);
  });
  instance.delete('/commands/status/*', async (request, reply) => {
    const { queue, command } = await readable(context, request);
    // The status read above may be stale by now: the store's cancel alone decides, and the status read after it
    // is what the answer names.
    const cancelled = await queue.cancel(command.id, Date.now());
    const now = (await queue.get(command.id)) ?? command;
    if (!cancelled && now.status !== 'cancelled') {
      throw new HttpProblem(
        'NOT_CANCELLABLE',
        `Queued command ${command.id} is ${now.status}: only a queued command, or a failed one awaiting its retry, can be cancelled`,
        { commandStatus: now.status },
      );
    }
    request.log.debug({ id: command.id, cancelled }, 'Twofold: cancelled a queued command');
    return sendStatus(reply, now);
  });
  refuseMethods(instance, '/commands/status/*', {
    methods: ['PUT', 'PATCH', 'POST'],
    allow: 'GET, DELETE',
    detail: 'Read a queued command with GET, or cancel it with DELETE',
  });
}

/** The queued command a status request names, when its caller may read it; 400 or 404 problems otherwise. */
async function readable(
  context: PluginContext,
  request: FastifyRequest,
): Promise<{ readonly queue: CommandQueueStore; readonly command: QueuedCommand }> {
  const id = (request.params as { '*': string })['*'];
  if (!ID.test(id)) {
    throw new HttpProblem('MALFORMED_REQUEST', 'A command id is 1 to 128 letters, digits and . _ : @ + = -');
  }
  const pending = callerOf(context, request);
  const caller = pending instanceof Promise ? await pending : pending;
  const queue = context.options.queue;
  if (queue === undefined) throw new HttpProblem('NOT_FOUND', 'This API queues no commands');
  const command = await queue.get(id);
  if (command === undefined || !(await context.canReadCommand(caller.principal, command))) {
    throw new HttpProblem('NOT_FOUND', `There is no queued command ${id}`);
  }
  return { queue, command };
}

function sendStatus(reply: FastifyReply, command: QueuedCommand): FastifyReply {
  if (command.status === 'succeeded' && command.position !== undefined) {
    reply.header(HEADERS.position, String(command.position));
  }
  return reply.type('application/json').send(JSON.stringify(statusBody(command)));
}

/**
 * The command once it is final, or as it is when `ms` have passed or the client has gone. It is read again when
 * the queue says it may have become final (a worker of this process finished it, or, on PostgreSQL, a node
 * notified an outcome or new events), and else on a backoff: workers in other processes may finish it unheard.
 */
async function settled(
  queue: CommandQueueStore,
  first: QueuedCommand,
  ms: number,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<QueuedCommand> {
  const until = Date.now() + ms;
  const gone = disconnectController(reply).signal;
  const woken = new WakeSignal();
  let heard = false;
  const stop = queue.onSettled((id) => {
    if (id !== undefined && id !== first.id) return;
    heard = true;
    woken.fire();
  });
  const onGone = () => woken.fire();
  gone.addEventListener('abort', onGone);
  let command = first;
  try {
    // Read once more now that the wait listens: a command that became final since `first` was read is seen.
    for (let pause = 10; !FINAL_COMMAND_STATUSES.includes(command.status); ) {
      const again = await queue.get(command.id);
      if (again === undefined) break;
      command = again;
      const left = until - Date.now();
      if (FINAL_COMMAND_STATUSES.includes(command.status) || left <= 0 || gone.aborted) break;
      heard = false;
      await woken.wait(Math.min(pause, left));
      // A hint from another node may come with the command's events, just before its status changes: the backoff
      // starts again from its shortest pause.
      pause = heard ? 10 : Math.min(pause * 2, 250);
    }
  } finally {
    stop();
    gone.removeEventListener('abort', onGone);
  }
  request.log.debug({ id: command.id, status: command.status }, 'Twofold: waited for a queued command');
  return command;
}

function statusBody(command: QueuedCommand): CommandStatusBody {
  const { id, type, status, attempts } = command;
  const body: { -readonly [K in keyof CommandStatusBody]: CommandStatusBody[K] } = { id, type, status, attempts };
  if (status === 'succeeded') {
    body.result = command.result ?? null;
    body.position = command.position ?? null;
  }
  if (command.problem !== undefined && (status === 'failed' || status === 'dead')) {
    body.problem = problemOf(command.problem);
  }
  return body;
}

// A failure's message is shown when its code is one a caller can act on; any other failure is a bug on the
// server's side, whose message may name its internals.
function problemOf(problem: { readonly code: string; readonly message: string }): CommandStatusProblem {
  if (isProblemCode(problem.code) && problem.code !== 'INTERNAL')
    return { code: problem.code, detail: problem.message };
  return { code: 'INTERNAL', detail: UNEXPECTED };
}

/** A UUID (version 8, RFC 9562) made of a hash of the scoped key: one key, one queued command. */
function idOfKey(scopedKey: string): string {
  const hex = createHash('sha256').update(scopedKey).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The command found under a key must be the one now sent: the same type, and a payload that validates to the
 * same value (as the write model compares a repeat with its idempotency record).
 */
async function sameCommand(entry: CommandEntry, stored: QueuedCommand, body: unknown): Promise<void> {
  const type = entry.definition.type;
  if (stored.type !== type) throw new IdempotencyKeyReusedError(type, stored.type);
  const [was, now] = await Promise.all([validated(entry, stored.data), validated(entry, body)]);
  if (was !== now) throw new IdempotencyKeyReusedError(type, stored.type);
}

async function validated(entry: CommandEntry, value: unknown): Promise<string | undefined> {
  const outcome = await entry.definition.schema['~standard'].validate(value);
  return outcome.issues === undefined ? payloadFingerprint(outcome.value) : undefined;
}
