import { MAX_WAIT_SECONDS } from '@twofold/core/wire';
import type { JsonSchema } from '../schemas/json-schema.js';

const PROBLEM = { $ref: '#/components/responses/Problem' };
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'];
const ID_PARAMETER = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[\\w.:@+=-]{1,128}$' },
};

/** A command operation's 202 answer, when the API queues commands. */
export function acceptedResponse(): Record<string, unknown> {
  return {
    description:
      'Sent with `Prefer: respond-async`: the command passed validation and authorization and is queued. ' +
      '`Location` names its status resource.',
    headers: {
      Location: { description: 'The status resource, GET /commands/status/{id}.', schema: { type: 'string' } },
      'Preference-Applied': { description: '`respond-async`.', schema: { type: 'string' } },
    },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/AcceptedCommand' } } },
  };
}

/** The `Prefer` parameter of a command operation. */
export function commandPreferParameter(): Record<string, unknown> {
  return {
    name: 'Prefer',
    in: 'header',
    description:
      '`respond-async` queues the command and answers 202 at once; a worker runs it later. Other preferences are ignored.',
    schema: { type: 'string', examples: ['respond-async'] },
  };
}

/** The path of the queued commands' status resource. */
export function commandStatusPaths(): Record<string, unknown> {
  return {
    '/commands/status/{id}': {
      get: {
        operationId: 'commandStatus',
        summary: 'A queued command and its status',
        description:
          'Answered to the caller who queued the command (404 to anyone else, as to an unknown id). ' +
          '`position` is its read-your-writes token once it has succeeded.',
        tags: ['commands'],
        parameters: [
          ID_PARAMETER,
          {
            name: 'Prefer',
            in: 'header',
            description: `\`wait=N\`: answer once the command is succeeded, dead or cancelled, or after N seconds (at most ${MAX_WAIT_SECONDS}; a longer wait is cut to it).`,
            schema: { type: 'string', examples: ['wait=10'] },
          },
          { $ref: '#/components/parameters/CorrelationId' },
        ],
        responses: {
          200: {
            description: 'The command.',
            headers: {
              'Twofold-Position': { $ref: '#/components/headers/Position' },
              'Preference-Applied': { description: '`wait=N`, the wait honoured.', schema: { type: 'string' } },
            },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandStatus' } } },
          },
          400: PROBLEM,
          401: PROBLEM,
          404: PROBLEM,
          500: PROBLEM,
        },
      },
      delete: {
        operationId: 'cancelCommand',
        summary: 'Cancel a queued command',
        description:
          'Cancels the command while it is `queued`, or `failed` awaiting its retry: no worker runs it afterwards. ' +
          'Answered to the caller who queued it (404 to anyone else, as to an unknown id). A command already ' +
          '`cancelled` is answered 200 as it is; one that is `running`, `succeeded` or `dead` is 409 ' +
          'NOT_CANCELLABLE, whose `commandStatus` names its status.',
        tags: ['commands'],
        parameters: [ID_PARAMETER, { $ref: '#/components/parameters/CorrelationId' }],
        responses: {
          200: {
            description: 'The command, now `cancelled`.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CommandStatus' } } },
          },
          400: PROBLEM,
          401: PROBLEM,
          404: PROBLEM,
          409: PROBLEM,
          500: PROBLEM,
        },
      },
    },
  };
}

/** The schemas of the 202 body and the status resource. */
export function queuedSchemas(problemCodes: readonly string[]): Record<string, JsonSchema> {
  return {
    AcceptedCommand: {
      type: 'object',
      properties: { id: { type: 'string' }, status: { type: 'string', enum: STATUSES } },
      required: ['id', 'status'],
    },
    CommandStatus: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        type: { type: 'string' },
        status: { type: 'string', enum: STATUSES },
        attempts: { type: 'integer', minimum: 0 },
        result: { description: 'When succeeded: what the command returned (null for nothing).' },
        position: { type: ['integer', 'null'], minimum: 0, description: 'When succeeded: pass as Twofold-After.' },
        problem: {
          type: 'object',
          description: 'When failed or dead: why the last attempt failed.',
          properties: { code: { type: 'string', enum: [...problemCodes] }, detail: { type: 'string' } },
          required: ['code', 'detail'],
        },
      },
      required: ['id', 'type', 'status', 'attempts'],
    },
  };
}
