import { runAsync } from '../protocol/run.js';
import type { InboxDialect } from './inbox-dialect.js';
import type { InboxStore } from './ports.js';
import { checkInboxEntry, checkPruneBefore, receiveOnce } from './receive.js';

/**
 * An inbox in memory, for tests and single-process apps. It has no transaction to share: the effect gets
 * `undefined`, and an effect that throws leaves the message unrecorded (what it changed before throwing stays).
 */
export class MemoryInbox implements InboxStore<undefined> {
  // When each mark was recorded (ms since the epoch), by key.
  readonly #received = new Map<string, number>();
  // Deliveries running now, by key: a concurrent one waits for the first to end, as a database lock would make it.
  readonly #running = new Map<string, Promise<unknown>>();
  readonly #dialect: InboxDialect<undefined> = {
    record: (_, consumer, messageId, at) => {
      const key = keyOf(consumer, messageId);
      if (this.#received.has(key)) return false;
      this.#received.set(key, at);
      return true;
    },
    recorded: (consumer, messageId) => this.#received.has(keyOf(consumer, messageId)),
    prune: (consumer, before) => {
      let pruned = 0;
      for (const [key, at] of this.#received) {
        if (at < before && (JSON.parse(key) as [string, string])[0] === consumer) {
          this.#received.delete(key);
          pruned++;
        }
      }
      return pruned;
    },
  };

  async receive(
    consumer: string,
    messageId: string,
    effect: (tx: undefined) => void | Promise<void>,
  ): Promise<boolean> {
    checkInboxEntry(consumer, messageId);
    const key = keyOf(consumer, messageId);
    while (this.#running.has(key)) await this.#running.get(key)!.catch(() => undefined);
    const fresh = this.#received.has(key) === false;
    const run = runAsync(receiveOnce(this.#dialect, undefined, { consumer, messageId, effect })).catch(
      (error: unknown) => {
        // The transaction "rolls back": the mark goes with the failed effect.
        if (fresh) this.#received.delete(key);
        throw error;
      },
    );
    this.#running.set(key, run);
    try {
      return await run;
    } finally {
      this.#running.delete(key);
    }
  }

  async received(consumer: string, messageId: string): Promise<boolean> {
    checkInboxEntry(consumer, messageId);
    return this.#dialect.recorded(consumer, messageId) as boolean;
  }

  async pruneBefore(consumer: string, before: Date): Promise<number> {
    return this.#dialect.prune(consumer, checkPruneBefore(consumer, before)) as number;
  }
}

const keyOf = (consumer: string, messageId: string) => JSON.stringify([consumer, messageId]);
