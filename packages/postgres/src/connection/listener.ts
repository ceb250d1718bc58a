import type pg from 'pg';

/**
 * The one LISTEN connection of a database handle, shared by every channel its stores wake on (the event store's,
 * the command queue's). It is open while some channel has a subscriber: the first subscription opens it, the last
 * one's end closes it, and a channel's first and last subscriptions LISTEN and UNLISTEN on it. A dropped connection
 * is opened again, with every channel still subscribed, on the next subscription or {@link Listener.ensure}; the
 * stores' polls call it, and cover what was sent meanwhile.
 */
export class Listener {
  readonly #connect: () => pg.Client;
  readonly #channels = new Map<string, Set<() => void>>();
  #client: Promise<pg.Client> | undefined;
  #closed = false;

  /** `connect` makes a new client, not yet connected, apart from the pool. */
  constructor(connect: () => pg.Client) {
    this.#connect = connect;
  }

  /** Calls `onNotify` on every notification on `channel` (from any node) until the returned function is called. */
  listen(channel: string, onNotify: () => void): () => void {
    if (this.#closed) return () => {};
    let handlers = this.#channels.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#channels.set(channel, handlers);
      this.#send(`LISTEN "${channel}"`);
    }
    const own = handlers;
    // Each subscription its own entry, so that one function given twice is two subscriptions.
    const entry = () => onNotify();
    own.add(entry);
    this.ensure();
    return () => {
      if (!own.delete(entry) || own.size > 0 || this.#channels.get(channel) !== own) return;
      this.#channels.delete(channel);
      if (this.#channels.size === 0) void this.#end();
      else this.#send(`UNLISTEN "${channel}"`);
    };
  }

  /** Opens the connection again if it dropped while some channel has a subscriber. */
  ensure(): void {
    if (this.#client !== undefined || this.#closed || this.#channels.size === 0) return;
    const client = this.#connect();
    const connecting = (async () => {
      client.on('notification', ({ channel }) => {
        for (const handler of this.#channels.get(channel) ?? []) handler();
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
      return client;
    })();
    this.#client = connecting;
    connecting.catch(() => {
      if (this.#client === connecting) this.#client = undefined;
      client.end().catch(() => {});
    });
  }

  /** Stops every subscription and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#channels.clear();
    await this.#end();
  }

  // A statement after the connection's own LISTENs; lost with a dropped connection, which re-LISTENs when reopened.
  #send(sql: string): void {
    this.#client?.then((client) => client.query(sql)).catch(() => {});
  }

  async #end(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await (await client.catch(() => undefined))?.end().catch(() => {});
  }
}
