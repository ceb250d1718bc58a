import { PROBLEM_STATUS } from '@twofold/core/wire';
import type { Catalog, QueryEntry } from '../plugin/catalog.js';
import type { Converted, JsonSchema } from '../schemas/json-schema.js';
import { acceptedResponse, commandPreferParameter, commandStatusPaths, queuedSchemas } from './queued.js';

/** Title, version and description of the generated API. */
export interface ApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export interface OpenApiOptions {
  readonly info: ApiInfo;
  /** Where the plugin is mounted, e.g. `/api`; the document's server URL. */
  readonly prefix: string;
  readonly bearer: boolean;
  readonly live: boolean;
  /** Whether commands can be queued (`Prefer: respond-async`), with a status resource. */
  readonly queue: boolean;
}

/** An OpenAPI 3.1 document, as plain JSON. */
export type OpenApiDocument = { readonly openapi: '3.1.0' } & Readonly<Record<string, unknown>>;

type Schemas = Record<string, JsonSchema>;

const PROBLEM = { $ref: '#/components/responses/Problem' };
const COMMAND_PROBLEMS = [400, 401, 403, 404, 409, 412, 413, 415, 422, 500, 504];
const QUERY_PROBLEMS = [400, 401, 403, 404, 413, 415, 500, 504];

/**
 * The OpenAPI 3.1 description of a catalog: one operation per command and query, schemas under
 * `components.schemas` named `<type>.Input` and `<type>.Result`, and every error as problem+json.
 */
export function openApiDocument(catalog: Catalog, options: OpenApiOptions): OpenApiDocument {
  const schemas: Schemas = {
    Problem: problemSchema(),
    ...(options.queue ? queuedSchemas(Object.keys(PROBLEM_STATUS)) : {}),
  };
  const paths: Record<string, unknown> = {};
  for (const { definition, input, result } of catalog.commands.values()) {
    const inputRef = component(schemas, `${definition.type}.Input`, input);
    const resultRef = result === undefined ? { type: 'null' } : component(schemas, `${definition.type}.Result`, result);
    paths[`/commands/${definition.type}`] = {
      post: {
        operationId: definition.type,
        summary: definition.description ?? definition.type,
        tags: ['commands', ...definition.tags],
        parameters: [
          { $ref: '#/components/parameters/IdempotencyKey' },
          { $ref: '#/components/parameters/IfMatch' },
          { $ref: '#/components/parameters/CorrelationId' },
          ...(options.queue ? [commandPreferParameter()] : []),
        ],
        requestBody: { required: true, content: { 'application/json': { schema: inputRef } } },
        responses: {
          200: {
            description: 'The command ran. `position` is the read-your-writes token to pass as Twofold-After.',
            headers: { 'Twofold-Position': { $ref: '#/components/headers/Position' } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { result: resultRef, position: { type: ['integer', 'null'], minimum: 0 } },
                  required: ['result', 'position'],
                },
              },
            },
          },
          ...(options.queue ? { 202: acceptedResponse() } : {}),
          ...problems(COMMAND_PROBLEMS),
        },
      },
    };
  }
  if (options.queue) Object.assign(paths, commandStatusPaths());
  for (const entry of catalog.queries.values()) {
    Object.assign(paths, queryPaths(entry, schemas, options.live));
  }
  const document: Record<string, unknown> = {
    openapi: '3.1.0',
    info: { ...options.info },
    servers: [{ url: options.prefix === '' ? '/' : options.prefix }],
    tags: [
      { name: 'commands', description: 'Requests to change state, sent with POST.' },
      { name: 'queries', description: 'Questions for the read models, asked with GET (or POST for large inputs).' },
    ],
    paths,
    components: {
      schemas,
      responses: {
        Problem: {
          description: 'An RFC 9457 problem; switch on `code`.',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          description:
            'For a command handled by a write model, a repeat with the same key and body gets the first result again ' +
            'instead of a second run; another body under the key is 422 IDEMPOTENCY_KEY_REUSED, and a repeat while ' +
            'the first still runs is 409 IDEMPOTENCY_KEY_IN_USE.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
        IfMatch: {
          name: 'If-Match',
          in: 'header',
          description: 'Run the command only if the target still has this version (else 412).',
          schema: { type: 'string' },
        },
        CorrelationId: {
          name: 'Twofold-Correlation-Id',
          in: 'header',
          description: 'Ties this request to others in logs and in the messages it causes; echoed back.',
          schema: { type: 'string', pattern: '^[\\w.:@/+=-]{1,128}$' },
        },
        After: {
          name: 'Twofold-After',
          in: 'header',
          description: 'Answer only once the read models have caught up with this position (from a command).',
          schema: { type: 'integer', minimum: 0 },
        },
      },
      headers: {
        Position: {
          description: 'The global position of the last event the command committed.',
          schema: { type: 'integer', minimum: 0 },
        },
      },
      ...(options.bearer ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {}),
    },
    ...(options.bearer ? { security: [{ bearer: [] }, {}] } : {}),
  };
  return document as OpenApiDocument;
}

function queryPaths(entry: QueryEntry, schemas: Schemas, live: boolean): Record<string, unknown> {
  const { definition, input, result, ownsAfter } = entry;
  const inputRef = component(schemas, `${definition.type}.Input`, input);
  const resultRef = component(schemas, `${definition.type}.Result`, result);
  const common = [
    ...(ownsAfter
      ? []
      : [
          {
            name: 'after',
            in: 'query',
            description: 'Same as Twofold-After.',
            schema: { type: 'integer', minimum: 0 },
          },
        ]),
    { $ref: '#/components/parameters/After' },
    { $ref: '#/components/parameters/CorrelationId' },
  ];
  const params = [...queryParameters(schemas[`${definition.type}.Input`]!), ...common];
  const ok = definition.streaming
    ? {
        description: 'The items, one JSON document per line.',
        content: { 'application/x-ndjson': { schema: resultRef } },
      }
    : {
        description: 'The answer.',
        content: {
          'application/json': {
            schema: { type: 'object', properties: { result: resultRef }, required: ['result'] },
          },
        },
      };
  const base = {
    summary: definition.description ?? definition.type,
    tags: ['queries', ...definition.tags],
  };
  const paths: Record<string, unknown> = {
    [`/queries/${definition.type}`]: {
      get: {
        ...base,
        operationId: definition.type,
        parameters: params,
        responses: { 200: ok, ...problems(QUERY_PROBLEMS) },
      },
      post: {
        ...base,
        operationId: `${definition.type}.post`,
        description: 'The same query with its parameters in a JSON body, for inputs too large for a URL.',
        parameters: common,
        requestBody: { required: true, content: { 'application/json': { schema: inputRef } } },
        responses: { 200: ok, ...problems(QUERY_PROBLEMS) },
      },
    },
  };
  if (live && !definition.streaming) {
    paths[`/queries/${definition.type}/live`] = {
      get: {
        ...base,
        operationId: `${definition.type}.live`,
        description:
          'Server-sent events: a `result` event with `{ "result": … }` now and whenever the answer changes; a `problem` event (then the stream ends) if the query fails.',
        parameters: params,
        responses: {
          200: { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...problems(QUERY_PROBLEMS),
        },
      },
    };
  }
  return paths;
}

/** One query parameter per property of an object input; nested objects travel as JSON. */
function queryParameters(input: JsonSchema): Record<string, unknown>[] {
  const properties = input.properties;
  if (input.type !== 'object' || typeof properties !== 'object' || properties === null) return [];
  const required = new Set(Array.isArray(input.required) ? input.required : []);
  return Object.entries(properties as Record<string, JsonSchema>).map(([name, schema]) => {
    const base = { name, in: 'query', required: required.has(name) };
    if (schema.type === 'object') return { ...base, content: { 'application/json': { schema } } };
    return schema.type === 'array' ? { ...base, schema, style: 'form', explode: true } : { ...base, schema };
  });
}

function problems(statuses: readonly number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((status) => [status, PROBLEM]));
}

/**
 * Adds a converted schema under `components.schemas` and returns a reference to it. Local `$defs` move to
 * components of their own, because in an OpenAPI document `#/$defs/…` would point at the document root.
 */
function component(schemas: Schemas, name: string, converted: Converted): JsonSchema {
  const { $defs, definitions, ...rest } = converted.schema as Record<string, unknown>;
  const defs = { ...asRecord(definitions), ...asRecord($defs) };
  const rename = (def: string) => `${name}.${def.replace(/[^\w.-]/g, '_')}`;
  for (const [def, schema] of Object.entries(defs)) schemas[rename(def)] = rewriteRefs(schema, rename) as JsonSchema;
  const schema = rewriteRefs(rest, rename) as Record<string, unknown>;
  if (converted.note !== undefined) schema.description = converted.note;
  schemas[name] = schema;
  return { $ref: `#/components/schemas/${name}` };
}

function rewriteRefs(value: unknown, rename: (def: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, rename));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const local = key === '$ref' && typeof inner === 'string' ? /^#\/(?:\$defs|definitions)\/(.+)$/.exec(inner) : null;
    out[key] =
      local === null ? rewriteRefs(inner, rename) : `#/components/schemas/${rename(decodeURIComponent(local[1]!))}`;
  }
  return out;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function problemSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'RFC 9457 problem details with a stable `code`.',
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', enum: Object.keys(PROBLEM_STATUS) },
      detail: { type: 'string' },
      instance: { type: 'string' },
      correlationId: { type: 'string' },
      issues: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            path: { type: 'array', items: { type: ['string', 'integer'] } },
            message: { type: 'string' },
          },
          required: ['path', 'message'],
        },
      },
      rule: { type: 'string' },
      details: { type: 'object' },
      commandStatus: { type: 'string', description: 'NOT_CANCELLABLE: the status of the queued command.' },
    },
    required: ['type', 'title', 'status', 'code'],
  };
}
