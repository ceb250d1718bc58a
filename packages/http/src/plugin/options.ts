import type { CommandDefinition, CommandQueueStore, Mediator, Principal, QueuedCommand } from '@twofold/core';
import type { Authenticate } from '../auth/authenticate.js';
import type { RunningKeys } from '../idempotency/running-keys.js';
import type { ChangeSource } from '../live/live.js';
import type { JsonSchemaConverter } from '../schemas/json-schema.js';

/**
 * What the plugin needs of a mediator: its registry, and a way to run commands and queries; with `readModels`, it
 * also tells a caller whose `Twofold-After` a query cannot wait for; with `admit`, it can queue commands.
 */
export type MediatorPort = Pick<Mediator, 'definitions' | 'execute' | 'ask' | 'stream'> &
  Partial<Pick<Mediator, 'readModels' | 'admit'>>;

/**
 * Whether `principal` (undefined: an anonymous caller) may read the status of a queued command, and cancel it;
 * `command.envelope` holds the principal who enqueued it. A caller who may not gets the 404 of an unknown id.
 *
 * @example
 * const canReadCommand: CanReadCommand = (principal, command) =>
 *   principal?.roles?.includes('admin') === true || principal?.id === command.envelope.principal?.id;
 */
export type CanReadCommand = (principal: Principal | undefined, command: QueuedCommand) => boolean | Promise<boolean>;

/** What a {@link Precondition} is asked to check: does `ifMatch` match what the command would change? */
export interface PreconditionCheck {
  readonly command: CommandDefinition;
  /** The request body, not yet validated. */
  readonly payload: unknown;
  /** The entity tags of the If-Match header, unquoted; `['*']` for any. */
  readonly ifMatch: readonly string[];
  readonly principal: Principal | undefined;
}

/**
 * Evaluates `If-Match` for a command before it runs; `false` answers 412 PRECONDITION_FAILED. Write models
 * will compare the aggregate version themselves; until then, this hook is where the check lives.
 *
 * @example
 * const precondition: Precondition = async ({ payload, ifMatch }) =>
 *   ifMatch.includes('*') || ifMatch.includes(String(await versionOf((payload as { bookingId: string }).bookingId)));
 */
export type Precondition = (check: PreconditionCheck) => boolean | Promise<boolean>;

/** Options of the {@link twofoldHttp} plugin. Only `mediator` is required. */
export interface TwofoldHttpOptions {
  /** The mediator whose commands and queries become routes. Register its handlers before the server starts. */
  readonly mediator: MediatorPort;
  /** Who sent the request. Default: everyone is anonymous. */
  readonly authenticate?: Authenticate;
  /** When live queries re-run. Without it there is no `/queries/{type}/live` route. */
  readonly changes?: ChangeSource;
  /**
   * The command queue that `Prefer: respond-async` puts commands in (the database's `commands`; `serve(app)` passes
   * the app's). Its workers run them later. Without it, `respond-async` is ignored and commands run at once.
   */
  readonly queue?: CommandQueueStore;
  /** Who may read (and cancel) a queued command's status. Default: a caller with the `id` of the principal who enqueued it; without `authenticate`, where every caller is anonymous, anyone, for a command enqueued with no principal. */
  readonly canReadCommand?: CanReadCommand;
  /** Checks `If-Match` on commands. Default: none (the tags still reach the handler as `metadata.ifMatch`). */
  readonly precondition?: Precondition;
  /**
   * Where the `Idempotency-Key`s of running requests are marked (a repeat meanwhile is 409), or `false` to ignore
   * the header. Replays come from the write model's own records. Default: in this process's memory.
   */
  readonly idempotency?: RunningKeys | false;
  /** Largest accepted request body, in bytes. Default: 1 MiB. */
  readonly bodyLimit?: number;
  /** Deepest nesting of objects and arrays accepted in a JSON body (`{}` is 1); deeper is a 400. Default: 64. */
  readonly maxBodyDepth?: number;
  /** How long one command or query may run, in milliseconds, before it fails with 504. Default: 30 s. */
  readonly timeout?: number;
  /** Title, version and description of the OpenAPI document and the docs page. */
  readonly info?: { readonly title?: string; readonly version?: string; readonly description?: string };
  /** Converts schemas that do not implement Standard JSON Schema (e.g. valibot with `@valibot/to-json-schema`). */
  readonly toJsonSchema?: JsonSchemaConverter;
}
