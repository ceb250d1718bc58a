import type pg from 'pg';

interface Subscription {
  readonly notify: (payload: string) => void;
  readonly listening: () => void;
}

/**
 * The one LISTEN connection of a database handle, shared by every channel its stores wake on (the event store's,
 * the command queue's). It is open while some channel has a subscriber: the first subscription opens it, the last
 * one's end closes it, and a channel's first and last subscriptions LISTEN and UNLISTEN on it. A dropped connection
 * is opened again, with every channel still subscribed, on the next subscription or {@link Listener.ensure}; the
 * stores' polls call it, and cover what was sent meanwhile.
 */
export class Listener {
  readonly #connect: () => pg.Client;
  readonly #channels = new Map<string, Set<Subscription>>();
  // Per channel, the LISTEN last sent for it: in effect once that statement is done.
  readonly #listened = new Map<string, Promise<unknown>>();
  #client: Promise<pg.Client> | undefined;
  #closed = false;

  /** `connect` makes a new client, not yet connected, apart from the pool. */
  constructor(connect: () => pg.Client) {
    this.#connect = connect;
  }

  /**
   * Calls `onNotify` with its payload on every notification on `channel` (from any node) until the returned function
   * is called, and
   * `onListening` each time the connection has begun to LISTEN on the channel for it (first, and again after a dropped
   * connection is opened): a notification sent before that was not heard, so what it announced is to be looked for
   * then.
   */
  listen(channel: string, onNotify: (payload: string) => void, onListening?: () => void): () => void {
    if (this.#closed) return () => {};
    let handlers = this.#channels.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#channels.set(channel, handlers);
      const sent = this.#send(`LISTEN "${channel}"`);
      if (sent !== undefined) this.#listened.set(channel, sent);
    }
    const own = handlers;
    // Each subscription its own entry, so that one function given twice is two subscriptions.
    const entry: Subscription = { notify: (payload) => onNotify(payload), listening: () => onListening?.() };
    own.add(entry);
    // On a connection already open or opening, the channel's LISTEN is sent or queued; a connection opened now
    // tells the subscribers of every channel it LISTENs on (see ensure()).
    const listened = this.#client === undefined ? undefined : this.#listened.get(channel);
    listened?.then(
      () => {
        if (own.has(entry)) entry.listening();
      },
      () => {},
    );
    this.ensure();
    return () => {
      if (!own.delete(entry) || own.size > 0 || this.#channels.get(channel) !== own) return;
      this.#channels.delete(channel);
      this.#listened.delete(channel);
      if (this.#channels.size === 0) void this.#end();
      else this.#send(`UNLISTEN "${channel}"`);
    };
  }

  /** Opens the connection again if it dropped while some channel has a subscriber. */
  ensure(): void {
    if (this.#client !== undefined || this.#closed || this.#channels.size === 0) return;
    const client = this.#connect();
    let listened: readonly string[] = [];
    const connecting = (async () => {
      client.on('notification', ({ channel, payload }) => {
        for (const entry of this.#channels.get(channel) ?? []) entry.notify(payload ?? '');
      });
      const drop = () => {
        if (this.#client === connecting) this.#client = undefined;
        client.end().catch(() => {});
      };
      client.on('error', drop);
      client.on('end', drop);
      await client.connect();
      // The channels subscribed by now; those subscribed later send their own LISTEN after this one.
      const channels = [...this.#channels.keys()];
      if (channels.length > 0) await client.query(channels.map((c) => `LISTEN "${c}"`).join('; '));
      listened = channels;
      return client;
    })();
    this.#client = connecting;
    for (const channel of this.#channels.keys()) this.#listened.set(channel, connecting);
    // The subscribers of the channels LISTENed here, at first or after a dropped connection, heard nothing before.
    connecting
      .then(() => {
        for (const channel of listened) for (const entry of this.#channels.get(channel) ?? []) entry.listening();
      })
      .catch(() => {});
    connecting.catch(() => {
      if (this.#client === connecting) this.#client = undefined;
      client.end().catch(() => {});
    });
  }

  /** Stops every subscription and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#channels.clear();
    this.#listened.clear();
    await this.#end();
  }

  // A statement after the connection's own LISTENs; lost with a dropped connection, which re-LISTENs when reopened.
  #send(sql: string): Promise<unknown> | undefined {
    const sent = this.#client?.then((client) => client.query(sql));
    sent?.catch(() => {});
    return sent;
  }

  async #end(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await (await client.catch(() => undefined))?.end().catch(() => {});
  }
}
