import { afterEach, describe, expect, it } from 'vitest';
import { compareDeadLetters } from '../dead-letters/order.js';
import type { DeadLetter, DeadLetterCursor, DeadLetterStore } from '../dead-letters/ports.js';
import { MemoryStore } from '../event-store/memory-store.js';
import type { EventStore } from '../event-store/ports.js';
import type { StreamId } from '../event-store/records.js';
import { defineEvent } from '../messages/define.js';
import type { StandardSchemaV1 } from '../messages/schema.js';
import { type GlobalPosition, START } from '../positions/position.js';
import type { Logger } from '../runtime/logger.js';
import type { CheckpointStore } from '../subscriptions/ports.js';
import { SubscriberRunner } from '../subscriptions/runner.js';
import { subscriber } from '../subscriptions/subscriber.js';

/** A checkpoint store and a dead-letter store, opened on some storage; `close` lets go of them. */
export interface SubscriptionStores {
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterStore;
  /** Lets go of both stores. */
  close(): void | Promise<void>;
}

/**
 * Makes fresh, empty storage for one test and returns how to open stores on it: each `open()` is another handle
 * on the same data (a reopened file, another node), so the contract can check what survives.
 */
export type SubscriptionStoresFactory = () => Promise<SubscriptionStorage> | SubscriptionStorage;

/** What a {@link SubscriptionStoresFactory} makes. */
export interface SubscriptionStorage {
  /** Opens another pair of stores on the same data. */
  open(): Promise<SubscriptionStores> | SubscriptionStores;
  /** The event log a subscriber reads in the contract: the adapter's own write store, or (by default) one in memory. */
  log?(): Promise<EventStore> | EventStore;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function letter(id: string, subscriberName: string, at: number, position: number): DeadLetter {
  return {
    id,
    subscriber: subscriberName,
    event: {
      id: `e${position}`,
      type: 'hotel.RoomBooked',
      data: { roomId: 'r1' },
      metadata: { correlationId: 'c' },
      streamId: 'booking-1' as StreamId,
      streamVersion: 1,
      position: position as GlobalPosition,
      timestamp: 1,
      schemaVersion: 1,
    },
    error: 'Error: mail server down\n    at send',
    attempts: 5,
    at,
  };
}

/**
 * The contract of subscribers' checkpoint and dead-letter stores: what they keep, how they list it, and that a
 * SubscriberRunner parks a failing event in them. An adapter's test file calls it once.
 *
 * @example
 * subscriptionStoresContract('sqlite', () => {
 *   const path = temp.file('subscriptions');
 *   return { open: () => { const db = sqlite(path);
 *     return { checkpoints: db.checkpoints, deadLetters: db.deadLetters, close: () => db.close() }; } };
 * });
 */
export function subscriptionStoresContract(name: string, factory: SubscriptionStoresFactory): void {
  describe(`${name}: checkpoint and dead-letter store contract`, () => {
    const closers: (() => void | Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
    });
    const storage = async () => {
      const made = await factory();
      const open = async () => {
        const stores = await made.open();
        closers.push(() => stores.close());
        return stores;
      };
      return Object.assign(open, { log: async () => (made.log === undefined ? new MemoryStore() : await made.log()) });
    };

    it('keeps checkpoints and dead letters for the next handle on the same storage', async () => {
      const open = await storage();
      const first = await open();
      expect(await first.checkpoints.get('emails')).toBe(START);
      await first.checkpoints.set('emails', 5 as GlobalPosition);
      await first.checkpoints.set('emails', 7 as GlobalPosition);
      await first.deadLetters.add(letter('d2', 'emails', 20, 3));
      await first.deadLetters.add(letter('d1', 'emails', 10, 4));
      await first.deadLetters.add(letter('d3', 'billing', 15, 5));

      const again = await open();
      expect(await again.checkpoints.get('emails')).toBe(7);
      expect(await again.checkpoints.get('other')).toBe(START);
      expect((await again.deadLetters.list()).map((l) => l.id)).toEqual(['d1', 'd3', 'd2']);
      expect((await again.deadLetters.list('emails')).map((l) => l.id)).toEqual(['d1', 'd2']);
      expect(await again.deadLetters.get('d1')).toEqual(letter('d1', 'emails', 10, 4));
      await again.deadLetters.add({ ...letter('d1', 'emails', 30, 4), attempts: 6 });
      expect(await first.deadLetters.get('d1')).toMatchObject({ attempts: 6, at: 30 });
      await again.deadLetters.remove('d1');
      expect(await first.deadLetters.get('d1')).toBeUndefined();
    });

    it('lists dead letters a page at a time: oldest first, those parked in the same millisecond by id', async () => {
      const open = await storage();
      const { deadLetters } = await open();
      // Parked out of order, and with positions that disagree with the ids: the order is by time, then id.
      const parked = [
        letter('c', 'emails', 10, 1),
        letter('z', 'billing', 5, 9),
        letter('a', 'emails', 10, 8),
        letter('d', 'emails', 20, 2),
        letter('b', 'billing', 10, 3),
      ];
      for (const one of parked) await deadLetters.add(one);
      const ids = (letters: readonly DeadLetter[]) => letters.map((one) => one.id);
      const cursorOf = (id: string) => {
        const { at } = parked.find((one) => one.id === id)!;
        return { at, id };
      };

      expect(ids(await deadLetters.list())).toEqual(['z', 'a', 'b', 'c', 'd']);
      expect(ids(await deadLetters.list(undefined, {}))).toEqual(['z', 'a', 'b', 'c', 'd']);
      // Pages of two split the three letters parked at 10 ms; the last page holds what is left.
      expect(ids(await deadLetters.list(undefined, { limit: 2 }))).toEqual(['z', 'a']);
      expect(ids(await deadLetters.list(undefined, { after: cursorOf('a'), limit: 2 }))).toEqual(['b', 'c']);
      expect(ids(await deadLetters.list(undefined, { after: cursorOf('c'), limit: 2 }))).toEqual(['d']);
      expect(ids(await deadLetters.list(undefined, { after: cursorOf('d'), limit: 2 }))).toEqual([]);
      // A limit larger than what is left, no limit, and a limit of 0.
      expect(ids(await deadLetters.list(undefined, { after: cursorOf('z'), limit: 100 }))).toEqual([
        'a',
        'b',
        'c',
        'd',
      ]);
      expect(ids(await deadLetters.list(undefined, { after: cursorOf('b') }))).toEqual(['c', 'd']);
      expect(ids(await deadLetters.list(undefined, { limit: 0 }))).toEqual([]);
      // After a place no letter holds: strictly later ones, by time then id.
      expect(ids(await deadLetters.list(undefined, { after: { at: 10, id: 'aa' } }))).toEqual(['b', 'c', 'd']);
      expect(ids(await deadLetters.list(undefined, { after: { at: 7, id: 'zz' } }))).toEqual(['a', 'b', 'c', 'd']);
      // One subscriber's, a page at a time.
      expect(ids(await deadLetters.list('emails'))).toEqual(['a', 'c', 'd']);
      expect(ids(await deadLetters.list('emails', { limit: 2 }))).toEqual(['a', 'c']);
      expect(ids(await deadLetters.list('emails', { after: cursorOf('c'), limit: 2 }))).toEqual(['d']);
      expect(ids(await deadLetters.list('billing', { after: cursorOf('z'), limit: 1 }))).toEqual(['b']);
      expect(ids(await deadLetters.list('billing', { after: cursorOf('b'), limit: 1 }))).toEqual([]);
      expect(ids(await deadLetters.list('nobody', { limit: 5 }))).toEqual([]);
      expect(await deadLetters.list(undefined, { after: cursorOf('c'), limit: 1 })).toEqual([
        letter('d', 'emails', 20, 2),
      ]);
    });

    it('orders letters parked in the same millisecond by their ids code point by code point, as compareDeadLetters does', async () => {
      const open = await storage();
      const { deadLetters } = await open();
      const idsAt = ['b', 'B', 'ab', 'a', '\u00e9', '\uffff', '\u{1F600}', 'a-1', 'a_1', '1'];
      for (const [position, id] of idsAt.entries()) await deadLetters.add(letter(id, 'emails', 1, position + 1));
      const listed = (await deadLetters.list('emails')).map((one) => one.id);
      expect(listed).toEqual(idsAt.toSorted((a, b) => compareDeadLetters({ at: 1, id: a }, { at: 1, id: b })));
      const paged: string[] = [];
      let after: DeadLetterCursor | undefined;
      for (;;) {
        const page = await deadLetters.list('emails', { after, limit: 3 });
        paged.push(...page.map((one) => one.id));
        const last = page.at(-1);
        if (page.length < 3 || last === undefined) break;
        after = { at: last.at, id: last.id };
      }
      expect(paged).toEqual(listed);
    });

    it('refuses a malformed page or subscriber with INVALID_ARGUMENT saying what and where', async () => {
      const open = await storage();
      const { deadLetters } = await open();
      await deadLetters.add(letter('d1', 'emails', 10, 1));
      const refusals: [unknown, unknown, string][] = [
        [undefined, { limit: -1 }, 'deadLetters.list: page.limit must be an integer >= 0, or left out for all; got -1'],
        [undefined, { limit: 1.5 }, 'page.limit must be an integer >= 0, or left out for all; got 1.5'],
        [undefined, { limit: Number.NaN }, 'page.limit must be an integer >= 0, or left out for all; got NaN'],
        [undefined, { limit: '2' }, 'page.limit must be an integer >= 0, or left out for all; got "2"'],
        ['emails', null, 'deadLetters.list: the page must be an object { after?, limit? }; got null'],
        [
          undefined,
          { after: '10:d1' },
          'page.after must be the { at, id } of a letter, or left out for the first; got "10:d1"',
        ],
        [
          undefined,
          { after: { at: '10', id: 'd1' } },
          'page.after.at must be an integer (ms since the epoch); got "10"',
        ],
        [undefined, { after: { at: 1.5, id: 'd1' } }, 'page.after.at must be an integer (ms since the epoch); got 1.5'],
        [undefined, { after: { at: 10 } }, 'page.after.id must be a string; got undefined'],
        [42, undefined, 'deadLetters.list: the subscriber must be a string, or left out for every one; got 42'],
      ];
      for (const [subscriberName, page, message] of refusals) {
        const list = deadLetters.list as (subscriber?: unknown, page?: unknown) => Promise<readonly DeadLetter[]>;
        await expect(list.call(deadLetters, subscriberName, page), message).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining(message),
        });
      }
    });

    it('serve a SubscriberRunner: a failing event is parked with its error, the others are handled', async () => {
      // A schema that takes its input as it is: the contract needs no validation library.
      const asIs: StandardSchemaV1<{ roomId: string }> = {
        '~standard': {
          version: 1,
          vendor: 'twofold-contract',
          validate: (value) => ({ value: value as { roomId: string } }),
        },
      };
      const Booked = defineEvent('hotel.RoomBooked', asIs);
      const open = await storage();
      const log = await open.log();
      const positions: GlobalPosition[] = [];
      for (const roomId of ['r1', 'bad', 'r3']) {
        positions.push(
          (await log.append('booking-1' as StreamId, [{ type: Booked.type, data: { roomId } }])).position!,
        );
      }
      const handled: string[] = [];
      const emails = subscriber('emails').on(Booked, ({ roomId }) => {
        if (roomId === 'bad') throw new Error('cannot send');
        handled.push(roomId);
      });
      const { checkpoints, deadLetters } = await open();
      const runner = new SubscriberRunner({
        subscriber: emails,
        feed: log,
        checkpoints,
        deadLetters,
        attempts: 2,
        retryDelayMs: 1,
        logger: quiet,
      });
      runner.start();
      await expect.poll(() => checkpoints.get('emails')).toBe(positions[2]);
      await runner.stop();
      expect(handled).toEqual(['r1', 'r3']);
      const [parked] = await deadLetters.list('emails');
      expect(parked).toMatchObject({
        subscriber: 'emails',
        attempts: 2,
        event: { position: positions[1], data: { roomId: 'bad' } },
      });
      expect(parked?.error).toContain('cannot send');
    });
  });
}
