import type pg from 'pg';

/**
 * Tells a queue's subscribers (its workers) that a command may have become claimable: at once for a change made
 * through this handle, and on a NOTIFY from any node while one LISTENs on the queue's channel. The channel is
 * listened to only while someone subscribes; a dropped connection is opened again on the next subscription or
 * change, and meanwhile the workers' poll covers it.
 */
export class QueueWakeUps {
  readonly #listeners = new Set<() => void>();
  readonly #connect: () => pg.Client;
  readonly #channel: string;
  #listener: Promise<pg.Client> | undefined;
  #closed = false;

  constructor(connect: () => pg.Client, channel: string) {
    this.#connect = connect;
    this.#channel = channel;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    this.#listen();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) void this.#unlisten();
    };
  }

  /** Wakes this node's subscribers now. */
  wake(): void {
    for (const listener of this.#listeners) listener();
    this.#listen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await this.#unlisten();
  }

  #listen(): void {
    if (this.#listener !== undefined || this.#closed || this.#listeners.size === 0) return;
    const client = this.#connect();
    const listening = (async () => {
      client.on('notification', () => {
        for (const listener of this.#listeners) listener();
      });
      const drop = () => {
        if (this.#listener === listening) this.#listener = undefined;
        client.end().catch(() => {});
      };
      client.on('error', drop);
      client.on('end', drop);
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
      return client;
    })();
    this.#listener = listening;
    listening.catch(() => {
      if (this.#listener === listening) this.#listener = undefined;
      client.end().catch(() => {});
    });
  }

  async #unlisten(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener !== undefined) await (await listener.catch(() => undefined))?.end().catch(() => {});
  }
}
