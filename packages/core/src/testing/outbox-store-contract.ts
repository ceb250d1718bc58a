import { describe, expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import type { WriteStore } from '../event-store/ports.js';
import type { NewOutboxMessage, OutboxMessage, OutboxStore } from '../outbox/ports.js';
import { opener } from './store-factory.js';

/** An outbox on fresh, empty storage, with the write store whose transactions it enqueues in. */
export interface OutboxStoreUnderTest<Tx = unknown> {
  readonly outbox: OutboxStore<Tx>;
  /** The write store of the same storage: messages enqueued in its commits exist if, and only if, they commit. */
  readonly store: WriteStore<Tx>;
  /** Lets go of the outbox and the store after the test. */
  close(): void | Promise<void>;
}

/** Makes a fresh {@link OutboxStoreUnderTest} for one test. */
export type OutboxStoreFactory<Tx = unknown> = () => Promise<OutboxStoreUnderTest<Tx>> | OutboxStoreUnderTest<Tx>;

const LEASE_MS = 60_000;

/**
 * The contract of an outbox store: messages enqueued in a commit exist exactly when it committed; relays claim
 * them oldest first, each held by one claim until its lease ends; complete, fail (retry later, or park) and retry
 * do what they say. An adapter's test file calls it once.
 *
 * @example
 * outboxStoreContract('MemoryOutbox', () => ({ outbox: new MemoryOutbox(), store: new MemoryStore(), close() {} }));
 */
export function outboxStoreContract<Tx>(name: string, factory: OutboxStoreFactory<Tx>): void {
  describe(`${name} (outbox store contract)`, () => {
    const open = opener(factory);
    const enqueue = (subject: OutboxStoreUnderTest<Tx>, messages: readonly NewOutboxMessage[], fail = false) =>
      subject.store.commit({
        // Synchronous when the outbox is: an SQLite transaction cannot wait for a promise.
        participants: [
          (tx) => {
            const written = subject.outbox.enqueue(tx, messages);
            if (!fail) return written;
            const failure = () => {
              throw new Error('the command failed after writing its messages');
            };
            return written instanceof Promise ? written.then(failure) : failure();
          },
        ],
      });
    const ids = (messages: readonly OutboxMessage[]) => messages.map((m) => m.id);

    it('holds the messages of a commit if, and only if, it committed', async () => {
      const subject = await open();
      await expect(enqueue(subject, [{ topic: 't', payload: 1, id: 'lost' }], true)).rejects.toThrow(
        'the command failed after writing its messages',
      );
      await enqueue(subject, [{ topic: 't', payload: 2, id: 'kept' }]);
      expect(ids(await subject.outbox.claim(10, LEASE_MS))).toEqual(['kept']);
    });

    it('hands out messages oldest first, up to the limit, as they were written', async () => {
      const subject = await open();
      const before = Date.now();
      await enqueue(subject, [
        { topic: 'bookings', payload: { n: 1, nested: [true, null] }, headers: { type: 'Booked' }, id: 'm1' },
        { topic: 'bookings', payload: 'two', id: 'm2' },
      ]);
      await enqueue(subject, [{ topic: 'mails', payload: 3 }]);
      const first = await subject.outbox.claim(2, LEASE_MS);
      expect(first.map(({ createdAt, ...message }) => message)).toEqual([
        {
          id: 'm1',
          topic: 'bookings',
          payload: { n: 1, nested: [true, null] },
          headers: { type: 'Booked' },
          attempts: 1,
          lastError: undefined,
        },
        { id: 'm2', topic: 'bookings', payload: 'two', headers: {}, attempts: 1, lastError: undefined },
      ]);
      for (const message of first) expect(message.createdAt).toBeGreaterThanOrEqual(before);
      const [third, ...none] = await subject.outbox.claim(2, LEASE_MS);
      expect(none).toEqual([]);
      expect(third?.topic).toBe('mails');
      // A message written without an id gets one of its own.
      expect(typeof third?.id === 'string' && third.id.length > 0).toBe(true);
    });

    it('holds a claimed message from other claims until its lease ends, then hands it out again', async () => {
      const subject = await open();
      await enqueue(subject, [{ topic: 't', payload: 1, id: 'm1' }]);
      expect(ids(await subject.outbox.claim(10, 50))).toEqual(['m1']);
      expect(await subject.outbox.claim(10, 50)).toEqual([]);
      await expect
        .poll(async () => (await subject.outbox.claim(10, LEASE_MS)).map((m) => [m.id, m.attempts]))
        .toEqual([['m1', 2]]);
    });

    it('removes completed messages, brings a failed one back when due, and parks one failed for good until retried', async () => {
      const subject = await open();
      await enqueue(subject, [
        { topic: 't', payload: 1, id: 'done' },
        { topic: 't', payload: 2, id: 'later' },
        { topic: 't', payload: 3, id: 'broken' },
      ]);
      expect(ids(await subject.outbox.claim(10, LEASE_MS))).toEqual(['done', 'later', 'broken']);
      await subject.outbox.complete(['done']);
      await subject.outbox.fail('later', 'timeout', Date.now() + 60_000);
      await subject.outbox.fail('broken', 'rejected by the broker', undefined);
      expect(await subject.outbox.claim(10, LEASE_MS)).toEqual([]);
      const parked = await subject.outbox.parked();
      expect(parked.map((m) => [m.id, m.attempts, m.lastError])).toEqual([['broken', 1, 'rejected by the broker']]);

      await subject.outbox.retry('broken');
      expect(await subject.outbox.parked()).toEqual([]);
      const again = await subject.outbox.claim(10, LEASE_MS);
      expect(again.map((m) => [m.id, m.attempts, m.lastError])).toEqual([['broken', 2, 'rejected by the broker']]);

      await subject.outbox.fail('broken', 'timeout', Date.now() - 1);
      expect(ids(await subject.outbox.claim(10, LEASE_MS))).toEqual(['broken']);
    });

    it('refuses a message without a topic, or with a payload that is not JSON, and keeps none of its commit', async () => {
      const subject = await open();
      const refused = [
        await enqueue(subject, [
          { topic: 't', payload: 1, id: 'with-bad' },
          { topic: '', payload: 2 },
        ]).catch((e: unknown) => e),
        await enqueue(subject, [{ topic: 't', payload: () => {} }]).catch((e: unknown) => e),
      ];
      for (const error of refused) expect(isTwofoldError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect(await subject.outbox.claim(10, LEASE_MS)).toEqual([]);
    });
  });
}
