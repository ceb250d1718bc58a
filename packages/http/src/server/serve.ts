import { type CommandQueueStore, InvalidArgumentError } from '@twofold/core';
import Fastify, { type FastifyInstance } from 'fastify';
import type { MediatorPort, TwofoldHttpOptions } from '../plugin/options.js';
import { twofoldHttp } from '../plugin/plugin.js';
import { type ServerLimits, serverOptions } from './server-options.js';

/**
 * What {@link serve} needs of an app (a `Twofold` from `twofold()`): its mediator, how it closes, and its database,
 * whose command queue `Prefer: respond-async` puts commands in.
 */
export interface ServableApp {
  readonly mediator: MediatorPort;
  readonly store?: { readonly commands?: CommandQueueStore | undefined };
  /** Registers what closes first when the app closes. */
  onClose(close: () => Promise<void> | void): unknown;
  /** Closes what was registered with `onClose`, then the app itself. */
  close(): Promise<void>;
}

/** Options of {@link serve}: where to listen, and the options of the {@link twofoldHttp} plugin. */
export interface ServeOptions extends Omit<TwofoldHttpOptions, 'mediator'> {
  /** The port to listen on; 0 picks a free one. Default: 3000. */
  readonly port?: number;
  /** The interface to listen on. Default: 'localhost'. */
  readonly host?: string;
  /** Where the routes go, e.g. `'/api'`. Default: at the root. */
  readonly prefix?: string;
  /** Caps on connections and their timeouts; see {@link serverOptions} for the defaults. */
  readonly limits?: ServerLimits;
  /** The signals that close the app gracefully. Default: `['SIGINT', 'SIGTERM']`; `[]` installs none. */
  readonly signals?: readonly NodeJS.Signals[];
}

/** What {@link serve} started: the Fastify server, and the address it listens on. */
export interface Served {
  readonly server: FastifyInstance;
  /** E.g. `http://localhost:3000`. */
  readonly url: string;
}

/**
 * Serves an app over HTTP in one call: its commands (`POST /commands/{type}`), queries (`GET /queries/{type}`) and
 * OpenAPI document, on a Fastify server of its own. Closing the app closes the server first: it stops accepting
 * and finishes the requests in flight, before the app stops its runners and closes its database. On SIGINT or
 * SIGTERM the app closes that way, once: a second signal gets Node's default, which ends the process unless
 * something else listens to it. Until the app has started, requests are answered 503 UNAVAILABLE. When the app's
 * database has a command queue, a command sent with `Prefer: respond-async` is queued there and answered 202.
 *
 * @example
 * const app = await twofold({ store: sqlite('data/bank.db') }).decider(account, { stream }).start();
 * const { url } = await serve(app, { port: 3000 });
 */
export async function serve(app: ServableApp, options: ServeOptions = {}): Promise<Served> {
  if (typeof app?.onClose !== 'function' || typeof app.close !== 'function' || typeof app.mediator !== 'object') {
    throw new InvalidArgumentError('serve(): the first argument must be an app made with twofold()');
  }
  const { port = 3000, host = 'localhost', prefix, limits, signals = ['SIGINT', 'SIGTERM'], ...plugin } = options;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError(`serve(): port must be an integer from 0 to 65535; got ${String(port)}`);
  }
  if (!Array.isArray(signals) || signals.some((signal) => typeof signal !== 'string' || !signal.startsWith('SIG'))) {
    throw new InvalidArgumentError("serve(): signals must be an array of signal names such as 'SIGTERM'");
  }
  const server = Fastify(serverOptions(limits));
  let closing = false;
  // An answer given while the server closes ends its connection, or a client's keep-alive would hold the close
  // open until the connection's idle timeout.
  server.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  try {
    await server.register(twofoldHttp, {
      ...plugin,
      mediator: app.mediator,
      ...(plugin.queue === undefined && app.store?.commands !== undefined ? { queue: app.store.commands } : {}),
      ...(prefix === undefined ? {} : { prefix }),
    });
    await server.listen({ port, host });
    app.onClose(() => {
      for (const signal of signals) process.off(signal, onSignal);
      closing = true;
      return server.close();
    });
  } catch (error) {
    await server.close();
    throw error;
  }
  // Once: a second signal finds no listener of ours.
  function onSignal(): void {
    for (const signal of signals) process.off(signal, onSignal);
    app.close().catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  }
  for (const signal of signals) process.once(signal, onSignal);
  const address = server.server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}
