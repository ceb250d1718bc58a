import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type CommandQueueStore,
  enqueueCommand,
  IdempotencyKeyReusedError,
  type Mediator,
  type QueuedCommand,
} from '@twofold/core';
import { payloadFingerprint } from '@twofold/core/adapters';
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
 * seconds have passed.
 */
export function commandStatusRoute(instance: FastifyInstance, context: PluginContext): void {
  // A wildcard rather than `:id`, so that an id too long for the router is this route's 400, with a problem.
  instance.get('/commands/status/*', async (request, reply) => {
    const id = (request.params as { '*': string })['*'];
    if (!ID.test(id)) {
      throw new HttpProblem('MALFORMED_REQUEST', 'A command id is 1 to 128 letters, digits and . _ : @ + = -');
    }
    const { wait } = preferencesOf(request);
    const pending = callerOf(context, request);
    const caller = pending instanceof Promise ? await pending : pending;
    const queue = context.options.queue;
    if (queue === undefined) throw new HttpProblem('NOT_FOUND', 'This API queues no commands');
    let command = await queue.get(id);
    if (command === undefined || !(await context.canReadCommand(caller.principal, command))) {
      throw new HttpProblem('NOT_FOUND', `There is no queued command ${id}`);
    }
    if (wait !== undefined) {
      command = await settled(queue, command, wait * 1000, request, reply);
      reply.header(HEADERS.preferenceApplied, `wait=${wait}`);
    }
    if (command.status === 'succeeded' && command.position !== undefined) {
      reply.header(HEADERS.position, String(command.position));
    }
    return reply.type('application/json').send(JSON.stringify(statusBody(command)));
  });
}

/** The command once it is final, or as it is when `ms` have passed or the client has gone. */
async function settled(
  queue: CommandQueueStore,
  first: QueuedCommand,
  ms: number,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<QueuedCommand> {
  const until = Date.now() + ms;
  const gone = disconnectController(reply).signal;
  let command = first;
  // Workers may be in other processes, where no signal reaches this one: the status is read again, soon at
  // first, then less often.
  for (
    let pause = 10;
    !FINAL_COMMAND_STATUSES.includes(command.status) && !gone.aborted;
    pause = Math.min(pause * 2, 250)
  ) {
    const left = until - Date.now();
    if (left <= 0) break;
    try {
      await delay(Math.min(pause, left), undefined, { signal: gone });
    } catch {
      break;
    }
    const again = await queue.get(command.id);
    if (again === undefined) break;
    command = again;
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
