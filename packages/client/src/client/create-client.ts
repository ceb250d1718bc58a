import type { CommandDefinition, GlobalPosition, InputOf, QueryDefinition, ResultOf } from '@twofold/core';
import { type CommandResultBody, HEADERS } from '@twofold/core/wire';
import { problemError, RemoteError, remoteErrorOf, transportError } from '../errors/remote-error.js';
import { eventsOf, linesOf } from '../streams/lines.js';
import { queryStringOf } from './query-string.js';
import {
  cancelOver,
  enqueueOver,
  type QueuedReceipt,
  type QueuedStatus,
  type Transport,
  type WaitOptions,
  waitOver,
} from './queued.js';

/** Anything `new Headers()` takes: a record, a list of pairs, or a Headers. */
export type HeadersInit = ConstructorParameters<typeof Headers>[0];

/** Headers sent with every request, or a function that makes them (e.g. with a fresh bearer token). */
export type HeadersSource = HeadersInit | (() => HeadersInit | Promise<HeadersInit>);

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** Where the server mounted the Twofold plugin, e.g. `https://hotel.example/api`. */
  readonly baseUrl: string | URL;
  /** The fetch to use. Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Headers for every request. */
  readonly headers?: HeadersSource;
}

/** Options shared by every call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Extra headers for this call. */
  readonly headers?: HeadersInit;
}

/** Options of `send` and `execute`. */
export interface SendOptions extends CallOptions {
  /**
   * Sent as `Idempotency-Key`: for a command handled by a write model, a retry with the same key and payload gets
   * the first answer instead of a second run, and another payload under the key fails with `IDEMPOTENCY_KEY_REUSED`.
   */
  readonly idempotencyKey?: string;
  /** Sent as `If-Match`: the version the command expects its target to have. */
  readonly ifMatch?: string;
}

/** Options of `ask`, `stream` and `live`. */
export interface AskOptions extends CallOptions {
  /** Read from this position on. Default: the highest position this client has seen a command commit. */
  readonly after?: GlobalPosition;
  /** Default: GET when the parameters fit a query string, POST with a JSON body otherwise. */
  readonly method?: 'GET' | 'POST';
}

/** The server's receipt for a command, as `execute` resolves to it: its result and the position it committed at. */
export interface CommandReceipt<R> {
  readonly result: R;
  readonly position: GlobalPosition | undefined;
}

/**
 * A typed client of a Twofold HTTP API. Argument and result types come from the message definitions the
 * app shares with its server; only their `type` travels. Results arrive as JSON (a `Date` becomes a string).
 */
export interface Client {
  /** Sends a command and resolves to its result. */
  send<D extends CommandDefinition>(command: D, data: InputOf<D>, options?: SendOptions): Promise<ResultOf<D>>;
  /** Sends a command and resolves to its result and the position it committed. */
  execute<D extends CommandDefinition>(
    command: D,
    data: InputOf<D>,
    options?: SendOptions,
  ): Promise<CommandReceipt<ResultOf<D>>>;
  /** Asks a query, after this client's last write. */
  ask<D extends QueryDefinition<string, any, any, false>>(
    query: D,
    params: InputOf<D>,
    options?: AskOptions,
  ): Promise<ResultOf<D>>;
  /** Reads a streaming query item by item. */
  stream<D extends QueryDefinition<string, any, any, true>>(
    query: D,
    params: InputOf<D>,
    options?: AskOptions,
  ): AsyncIterable<ResultOf<D>>;
  /** Follows a query: its answer now, then a new one each time it changes. Stop with `break` or the signal. */
  live<D extends QueryDefinition<string, any, any, false>>(
    query: D,
    params: InputOf<D>,
    options?: AskOptions,
  ): AsyncIterable<ResultOf<D>>;
  /**
   * Queues a command on the server (`Prefer: respond-async`): it is validated and authorized now, and run later by
   * a worker. Resolves to its id, status and status resource; a refusal rejects as `send` does.
   */
  enqueue<D extends CommandDefinition>(
    command: D,
    data: InputOf<D>,
    options?: SendOptions,
  ): Promise<QueuedReceipt<ResultOf<D>>>;
  /**
   * Waits for a queued command (its id, or what `enqueue` resolved to) to be final (`succeeded`, `dead` or
   * `cancelled`), and resolves to its status; after `timeoutMs`, to its status as it then is. A command that
   * succeeded moves this client's position to its own, so the next query reads its write.
   */
  waitFor<R = unknown>(command: string | QueuedReceipt<R>, options?: WaitOptions): Promise<QueuedStatus<R>>;
  /**
   * Cancels a queued command (its id, or what `enqueue` resolved to) that no worker has started, or that awaits a
   * retry, and resolves to its status, `cancelled`. A command that is `running`, `succeeded` or `dead` rejects
   * with `NOT_CANCELLABLE`; one this caller may not see, with `NOT_FOUND`.
   *
   * @example
   * const receipt = await client.enqueue(SendReminder, { bookingId });
   * await client.cancel(receipt);
   */
  cancel<R = unknown>(
    command: string | QueuedReceipt<R>,
    options?: { readonly signal?: AbortSignal; readonly headers?: HeadersInit },
  ): Promise<QueuedStatus<R>>;
  /**
   * The highest position a command sent (or waited for) by this client committed; sent as `Twofold-After` with
   * every query.
   */
  readonly position: GlobalPosition | undefined;
}

const URL_LIMIT = 2000;

/**
 * Creates a typed client. It carries the position of its last write forward as `Twofold-After`, so a query
 * asked after a command waits for the read models it declares to include that command's effect (read-your-writes,
 * or `CONSISTENCY_TIMEOUT`), and turns every failure into a {@link RemoteError} with a `code`.
 *
 * @example
 * const client = createClient({ baseUrl: '/api', headers: () => ({ authorization: `Bearer ${token()}` }) });
 * const { bookingId } = await client.send(BookRoom, { roomId: '101', nights: 2 });
 * const mine = await client.ask(MyBookings, { guestId }); // includes bookingId
 */
export function createClient(options: ClientOptions): Client {
  if (typeof options !== 'object' || options === null || options.baseUrl === undefined) {
    throw new TypeError('createClient(): options.baseUrl is required');
  }
  const base = String(options.baseUrl).replace(/\/*$/, '/');
  const fetcher = options.fetch ?? globalThis.fetch;
  if (typeof fetcher !== 'function') throw new TypeError('createClient(): no fetch; pass options.fetch');
  let position: GlobalPosition | undefined;

  const urlOf = (path: string) =>
    new URL(path, new URL(base, (globalThis as { location?: { href: string } }).location?.href)).toString();
  const headersOf = async (call: CallOptions | undefined, own: Record<string, string>) => {
    const headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers);
    for (const [name, value] of new Headers(call?.headers)) headers.set(name, value);
    for (const [name, value] of Object.entries(own)) headers.set(name, value);
    return headers;
  };
  const request = async (url: string, init: RequestInit): Promise<Response> => {
    let response: Response;
    try {
      response = await fetcher(url, init);
    } catch (error) {
      throw transportError(error, url, init.signal ?? undefined);
    }
    if (!response.ok) throw await remoteErrorOf(response);
    return response;
  };
  const json = async (response: Response): Promise<Record<string, unknown>> => {
    try {
      const body: unknown = await response.json();
      if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
    } catch {
      // Reported below.
    }
    throw new RemoteError('UNEXPECTED_RESPONSE', response.status, 'The server answered without a JSON object');
  };

  const saw = (committed: GlobalPosition) => {
    if (position === undefined || committed > position) position = committed;
  };
  const transport: Transport = {
    urlOf,
    json,
    saw,
    send: async (url, init, own, call) => request(url, { ...init, headers: await headersOf(call, own) }),
  };
  const commandHeaders = (call: SendOptions | undefined) => {
    const own: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (call?.idempotencyKey !== undefined) own[HEADERS.idempotencyKey] = call.idempotencyKey;
    if (call?.ifMatch !== undefined) own[HEADERS.ifMatch] = call.ifMatch;
    return own;
  };

  const execute = async (command: CommandDefinition, data: unknown, call?: SendOptions) => {
    const own = commandHeaders(call);
    const response = await request(urlOf(`commands/${encodeURIComponent(command.type)}`), {
      method: 'POST',
      headers: await headersOf(call, own),
      body: JSON.stringify(data === undefined ? null : data),
      ...(call?.signal === undefined ? {} : { signal: call.signal }),
    });
    // The server's CommandResultBody, unchecked until each field is read.
    const body: { readonly [K in keyof CommandResultBody]?: unknown } = await json(response);
    const committed = typeof body.position === 'number' ? (body.position as GlobalPosition) : undefined;
    if (committed !== undefined) saw(committed);
    return { result: body.result as never, position: committed };
  };

  /** Builds the request of a query: GET with a query string when the parameters allow, POST otherwise. */
  const queryRequest = async (path: string, params: unknown, call: AskOptions | undefined, accept: string) => {
    const own: Record<string, string> = { accept };
    const after = call?.after ?? position;
    if (after !== undefined) own[HEADERS.after] = String(after);
    const signal = call?.signal === undefined ? {} : { signal: call.signal };
    const search = call?.method === 'POST' ? undefined : queryStringOf(params);
    const url = urlOf(path);
    const query = search?.toString() ?? '';
    if (search !== undefined && url.length + query.length < URL_LIMIT) {
      return { url: query === '' ? url : `${url}?${query}`, init: { headers: await headersOf(call, own), ...signal } };
    }
    if (call?.method === 'GET') throw new TypeError(`${path}: these parameters do not fit a query string; use POST`);
    own['content-type'] = 'application/json';
    return {
      url,
      init: { method: 'POST', headers: await headersOf(call, own), body: JSON.stringify(params ?? null), ...signal },
    };
  };

  return {
    get position() {
      return position;
    },
    async send(command, data, call) {
      return (await execute(command, data, call)).result;
    },
    execute: execute as Client['execute'],
    enqueue: ((command: CommandDefinition, data: unknown, call?: SendOptions) =>
      enqueueOver(transport, command, data, {
        own: commandHeaders(call),
        ...(call?.signal === undefined ? {} : { signal: call.signal }),
        ...(call?.headers === undefined ? {} : { headers: call.headers }),
      })) as Client['enqueue'],
    waitFor: ((target: string | QueuedReceipt, wait?: WaitOptions) =>
      waitOver(transport, target, wait)) as Client['waitFor'],
    cancel: ((target: string | QueuedReceipt, call?: { signal?: AbortSignal; headers?: HeadersInit }) =>
      cancelOver(transport, target, call)) as Client['cancel'],
    async ask(query, params, call) {
      const { url, init } = await queryRequest(
        `queries/${encodeURIComponent(query.type)}`,
        params,
        call,
        'application/json',
      );
      return (await json(await request(url, init))).result as never;
    },
    async *stream(query, params, call) {
      const { url, init } = await queryRequest(
        `queries/${encodeURIComponent(query.type)}`,
        params,
        call,
        'application/x-ndjson',
      );
      const response = await request(url, init);
      if (response.body === null) return;
      try {
        for await (const line of linesOf(response.body)) {
          if (line.trim() !== '') yield JSON.parse(line);
        }
      } catch (error) {
        throw transportError(error, url, init.signal);
      }
    },
    async *live(query, params, call) {
      // Our own controller, so that leaving the loop early closes the connection.
      const controller = new AbortController();
      const abort = () => controller.abort(call?.signal?.reason);
      call?.signal?.addEventListener('abort', abort, { once: true });
      try {
        const { url, init } = await queryRequest(
          `queries/${encodeURIComponent(query.type)}/live`,
          params,
          { ...call, method: 'GET', signal: controller.signal },
          'text/event-stream',
        );
        const response = await request(url, init);
        if (response.body === null) return;
        try {
          for await (const { event, data } of eventsOf(response.body)) {
            if (event === 'result') yield (JSON.parse(data) as { result: never }).result;
            else if (event === 'problem') throw problemError(response.status, JSON.parse(data));
          }
        } catch (error) {
          throw transportError(error, url, call?.signal);
        }
      } finally {
        call?.signal?.removeEventListener('abort', abort);
        controller.abort();
      }
    },
  };
}
