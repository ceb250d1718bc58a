import type { CommandDefinition, CommandStatus, GlobalPosition } from '@twofold/core';
import {
  type AcceptedCommandBody,
  type CommandStatusBody,
  commandStatusPath,
  FINAL_COMMAND_STATUSES,
  HEADERS,
  MAX_WAIT_SECONDS,
} from '@twofold/core/wire';
import { RemoteError } from '../errors/remote-error.js';
import type { HeadersInit } from './create-client.js';

/**
 * A command the server queued, as `enqueue` resolves to it: its id, its status then, and the URL of its status
 * resource. `R` is the command's result type, which `waitFor` carries on.
 */
export interface QueuedReceipt<R = unknown> {
  readonly id: string;
  readonly status: CommandStatus;
  /** The status resource, as the server's `Location` header named it, resolved against the client's base URL. */
  readonly location: string;
  /** Carries the command's result type to `waitFor`; never set. */
  readonly __result?: R;
}

/** A queued command's status, as `waitFor` resolves to it; `position` is set once it has succeeded with a write. */
export type QueuedStatus<R = unknown> = CommandStatusBody<R>;

/** Options of `waitFor`. */
export interface WaitOptions {
  /** Give up waiting after this many milliseconds and resolve to the status as it then is. Default: 60 000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly headers?: HeadersInit;
}

/** What the queued calls need of the client: its URLs, its requests, and its read-your-writes position. */
export interface Transport {
  urlOf(path: string): string;
  send(
    url: string,
    init: RequestInit,
    own: Record<string, string>,
    call: { headers?: HeadersInit } | undefined,
  ): Promise<Response>;
  json(response: Response): Promise<Record<string, unknown>>;
  /** Moves the client's position forward to `position`. */
  saw(position: GlobalPosition): void;
}

/** `enqueue`: POSTs the command with `Prefer: respond-async` and reads the 202. */
export async function enqueueOver(
  transport: Transport,
  command: CommandDefinition,
  data: unknown,
  call: { readonly signal?: AbortSignal; readonly headers?: HeadersInit; readonly own: Record<string, string> },
): Promise<QueuedReceipt> {
  const url = transport.urlOf(`commands/${encodeURIComponent(command.type)}`);
  const response = await transport.send(
    url,
    { method: 'POST', body: JSON.stringify(data === undefined ? null : data), ...signalOf(call.signal) },
    { ...call.own, [HEADERS.prefer]: 'respond-async' },
    call,
  );
  const location = response.headers.get(HEADERS.location);
  if (response.status !== 202 || location === null) {
    // The command ran: a server without a queue answers respond-async at once.
    throw new RemoteError(
      'UNEXPECTED_RESPONSE',
      response.status,
      `The server ran ${command.type} at once instead of queueing it: it has no command queue`,
    );
  }
  const body: { readonly [K in keyof AcceptedCommandBody]?: unknown } = await transport.json(response);
  if (typeof body.id !== 'string' || typeof body.status !== 'string') {
    throw new RemoteError('UNEXPECTED_RESPONSE', response.status, 'The 202 answer has no id and status');
  }
  return { id: body.id, status: body.status as CommandStatus, location: new URL(location, url).toString() };
}

/** `waitFor`: reads the status resource with `Prefer: wait`, again and again, until it is final or time is up. */
export async function waitOver(
  transport: Transport,
  target: string | QueuedReceipt,
  options: WaitOptions = {},
): Promise<QueuedStatus> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) {
    throw new TypeError(`waitFor(): timeoutMs must be a whole number >= 0; got ${String(timeoutMs)}`);
  }
  const url = statusUrl(transport, target, 'waitFor');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const seconds = Math.min(MAX_WAIT_SECONDS, Math.max(0, Math.floor((until - Date.now()) / 1000)));
    const response = await transport.send(
      url,
      signalOf(options.signal),
      { accept: 'application/json', [HEADERS.prefer]: `wait=${seconds}` },
      options,
    );
    const status = (await transport.json(response)) as unknown as QueuedStatus;
    const final = FINAL_COMMAND_STATUSES.includes(status.status);
    if (final && typeof status.position === 'number') transport.saw(status.position);
    // A wait shorter than a second is not worth a request: the status as it is then is the answer.
    if (final || until - Date.now() < 1000) return status;
  }
}

/** `cancel`: DELETEs the status resource; the answer is the command, now `cancelled`. */
export async function cancelOver(
  transport: Transport,
  target: string | QueuedReceipt,
  options: { readonly signal?: AbortSignal; readonly headers?: HeadersInit } = {},
): Promise<QueuedStatus> {
  const url = statusUrl(transport, target, 'cancel');
  const response = await transport.send(
    url,
    { method: 'DELETE', ...signalOf(options.signal) },
    { accept: 'application/json' },
    options,
  );
  return (await transport.json(response)) as unknown as QueuedStatus;
}

function statusUrl(transport: Transport, target: string | QueuedReceipt, call: string): string {
  const url = typeof target === 'string' ? transport.urlOf(commandStatusPath(target)) : target?.location;
  if (typeof url !== 'string') throw new TypeError(`${call}(): pass a command id or what enqueue resolved to`);
  return url;
}

function signalOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}
