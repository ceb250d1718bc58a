// The wire contract lives in core, where the client reads it too; these stay importable from here.
export { PROBLEM_STATUS, type ProblemCode, type ProblemDetails } from '@twofold/core/wire';
export { type Authenticate, bearer, type VerifyToken } from './auth/authenticate.js';
export {
  type MemoryRunningKeysOptions,
  memoryRunningKeys,
  type RunningKeys,
} from './idempotency/running-keys.js';
export type { ChangeSource } from './live/live.js';
export type { ApiInfo, OpenApiDocument } from './openapi/openapi.js';
export type {
  CanReadCommand,
  MediatorPort,
  Precondition,
  PreconditionCheck,
  TwofoldHttpOptions,
} from './plugin/options.js';
export { twofoldHttp } from './plugin/plugin.js';
export { coerceQueryString, type QueryStringValues } from './schemas/coerce.js';
export {
  type Converted,
  type JsonSchema,
  type JsonSchemaConverter,
  toJsonSchema,
} from './schemas/json-schema.js';
export { clientErrorHandler } from './server/client-error.js';
export { type ServableApp, type Served, type ServeOptions, serve } from './server/serve.js';
export {
  DEFAULT_SERVER_LIMITS,
  type LimitedServerOptions,
  type ServerLimits,
  serverOptions,
} from './server/server-options.js';
