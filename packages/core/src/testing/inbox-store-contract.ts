import { afterEach, describe, expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import type { InboxStore } from '../inbox/ports.js';

/** An inbox on fresh, empty storage, with a way for an effect to write through the inbox's transaction. */
export interface InboxStoreUnderTest<Tx = unknown> {
  readonly inbox: InboxStore<Tx>;
  /** A table of the same storage that effects write to, inside the transaction they are given. */
  readonly effects: {
    /** Writes `value` to the table inside the inbox's transaction `tx`. */
    write(tx: Tx, value: string): void | Promise<void>;
    /** What the table holds, in the order written. */
    read(): Promise<readonly string[]>;
  };
  /** Whether a failed effect's writes are rolled back with its mark (a database), or stay (memory). */
  readonly rollsBack: boolean;
  /** Lets go of the inbox after the test. */
  close(): void | Promise<void>;
}

/** Makes a fresh {@link InboxStoreUnderTest} for one test. */
export type InboxStoreFactory<Tx = unknown> = () => Promise<InboxStoreUnderTest<Tx>> | InboxStoreUnderTest<Tx>;

/**
 * The contract of an inbox store: a message's effect runs once per consumer however often it is received,
 * concurrent deliveries included; an effect that throws leaves the message unreceived (and, on a database, its
 * writes undone); bad names are refused. An adapter's test file calls it once.
 *
 * @example
 * inboxStoreContract('MemoryInbox', () => {
 *   const written: string[] = [];
 *   return { inbox: new MemoryInbox(), rollsBack: false, close() {},
 *     effects: { write: (_tx, value) => void written.push(value), read: async () => written } };
 * });
 */
export function inboxStoreContract<Tx>(name: string, factory: InboxStoreFactory<Tx>): void {
  describe(`${name} (inbox store contract)`, () => {
    const opened: InboxStoreUnderTest<Tx>[] = [];
    afterEach(async () => {
      for (const subject of opened.splice(0)) await subject.close();
    });
    const open = async () => {
      const subject = await factory();
      opened.push(subject);
      return subject;
    };

    it('runs the effect of a message once per consumer, however often it is received', async () => {
      const { inbox, effects } = await open();
      expect(await inbox.received('billing', 'm1')).toBe(false);
      expect(await inbox.receive('billing', 'm1', (tx) => effects.write(tx, 'billing m1'))).toBe(true);
      expect(await inbox.receive('billing', 'm1', (tx) => effects.write(tx, 'billing m1 again'))).toBe(false);
      expect(await inbox.receive('mailer', 'm1', (tx) => effects.write(tx, 'mailer m1'))).toBe(true);
      expect(await inbox.receive('billing', 'm2', (tx) => effects.write(tx, 'billing m2'))).toBe(true);
      expect(await effects.read()).toEqual(['billing m1', 'mailer m1', 'billing m2']);
      expect(await inbox.received('billing', 'm1')).toBe(true);
      expect(await inbox.received('billing', 'm3')).toBe(false);
    });

    it('keeps no mark of a message whose effect threw, so that the next delivery runs it again', async () => {
      const subject = await open();
      const { inbox, effects } = subject;
      const failing = inbox.receive('billing', 'm1', (tx) => {
        const written = effects.write(tx, 'lost');
        const fail = () => {
          throw new Error('the payment service is down');
        };
        return written instanceof Promise ? written.then(fail) : fail();
      });
      await expect(failing).rejects.toThrow('the payment service is down');
      expect(await inbox.received('billing', 'm1')).toBe(false);
      expect(await inbox.receive('billing', 'm1', (tx) => effects.write(tx, 'kept'))).toBe(true);
      expect(await effects.read()).toEqual(subject.rollsBack ? ['kept'] : ['lost', 'kept']);
    });

    it('runs the effect once when deliveries of one message arrive at the same time', async () => {
      const { inbox, effects } = await open();
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, n) => inbox.receive('billing', 'm1', (tx) => effects.write(tx, `run ${n}`))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await effects.read()).toHaveLength(1);
    });

    it("forgets a consumer's marks from before the cut-off when pruned, so that those messages would run again", async () => {
      const { inbox, effects } = await open();
      await inbox.receive('billing', 'old', (tx) => effects.write(tx, 'old'));
      await inbox.receive('mailer', 'old', (tx) => effects.write(tx, 'mailer old'));
      const cutOff = new Date(Date.now() + 1);
      // The next mark must be recorded at a later millisecond than the cut-off.
      while (Date.now() <= cutOff.getTime()) await new Promise((resolve) => setTimeout(resolve, 1));
      await inbox.receive('billing', 'new', (tx) => effects.write(tx, 'new'));
      expect(await inbox.pruneBefore('billing', new Date(0))).toBe(0);
      expect(await inbox.pruneBefore('billing', cutOff)).toBe(1);
      expect(await inbox.pruneBefore('billing', cutOff)).toBe(0);
      expect([
        await inbox.received('billing', 'old'),
        await inbox.received('billing', 'new'),
        await inbox.received('mailer', 'old'),
      ]).toEqual([false, true, true]);
      // The caveat of pruning: a delivery of a pruned message is not recognised any more.
      expect(await inbox.receive('billing', 'old', (tx) => effects.write(tx, 'old again'))).toBe(true);
      expect(await effects.read()).toEqual(['old', 'mailer old', 'new', 'old again']);
    });

    it('refuses to prune with an empty consumer or a cut-off that is not a valid Date, forgetting nothing', async () => {
      const { inbox, effects } = await open();
      await inbox.receive('billing', 'm1', (tx) => effects.write(tx, 'm1'));
      const future = new Date(Date.now() + 60_000);
      const refused = [
        await inbox.pruneBefore('', future).catch((e: unknown) => e),
        await inbox.pruneBefore('billing', new Date('not a date')).catch((e: unknown) => e),
        await inbox.pruneBefore('billing', future.getTime() as never).catch((e: unknown) => e),
      ];
      for (const error of refused) expect(isTwofoldError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect(String(refused[0])).toContain('Inbox pruneBefore: the consumer must be a non-empty string; got ""');
      expect(String(refused[1])).toContain('Inbox of billing: pruneBefore needs a valid Date; got an invalid Date');
      expect(String(refused[2])).toContain(`Inbox of billing: pruneBefore needs a valid Date; got ${future.getTime()}`);
      expect(await inbox.received('billing', 'm1')).toBe(true);
    });

    it('refuses an empty consumer or message id, running nothing', async () => {
      const { inbox, effects } = await open();
      const refused = [
        await inbox.receive('', 'm1', (tx) => effects.write(tx, 'no consumer')).catch((e: unknown) => e),
        await inbox.receive('billing', '', (tx) => effects.write(tx, 'no id')).catch((e: unknown) => e),
        await inbox.receive('billing', 42 as never, (tx) => effects.write(tx, 'number')).catch((e: unknown) => e),
        await inbox.received('billing', '').catch((e: unknown) => e),
      ];
      for (const error of refused) expect(isTwofoldError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect(String(refused[1])).toContain('Inbox of billing: the message id must be a non-empty string');
      expect(await effects.read()).toEqual([]);
    });
  });
}
