// hotel.ServiceDeadLetters over both sides' dead letters, a page at a time: a NATS reply is bounded, and a page is
// what one answer holds.
import { createMediator, type DeadLetter, type DeadLetterStore } from '@twofold/core';
import { sqlite } from '@twofold/sqlite';
import { expect, it } from 'vitest';
import { createStores } from '../app/stores.js';
import { billingReplies } from '../cancellation/replies.js';
import { billingReceiver } from './billing/service.js';
import { type DeadLetterView, localDeadLetters, registerDeadLetters, ServiceDeadLetters } from './dead-letters.js';

const letter = (subscriber: string, n: number, at: number): DeadLetter => ({
  id: `${subscriber}:e${n}`,
  subscriber,
  event: {
    id: `e${n}`,
    type: 'hotel.RefundRequested',
    streamId: `cancellation-b${n}`,
    streamVersion: 1,
    position: n,
    data: {},
    metadata: {},
    timestamp: 0,
    schemaVersion: 1,
  } as DeadLetter['event'],
  error: 'Error: refused',
  attempts: 5,
  at,
});

it("lists both sides' parked events oldest first, a page at a time, each page's next the cursor of the one after", async () => {
  const stores = await createStores();
  const billing = sqlite(':memory:');
  try {
    const hotel = billingReplies(stores);
    for (const [n, at] of [
      [1, 1_001],
      [3, 1_003],
    ] as const) {
      await hotel.deadLetters.add(letter('hotel', n, at));
    }
    for (const [n, at] of [
      [2, 1_002],
      [4, 1_004],
      [5, 1_005],
    ] as const) {
      await billing.deadLetters.add(letter('billing', n, at));
    }
    const mediator = registerDeadLetters(createMediator(), [
      localDeadLetters(hotel),
      localDeadLetters(billingReceiver(billing)),
    ]);
    const first = await mediator.ask(ServiceDeadLetters, { limit: 2 });
    expect([first.items.map((l) => l.id), first.next]).toEqual([['hotel:e1', 'billing:e2'], '1002:billing:e2']);
    const second = await mediator.ask(ServiceDeadLetters, { limit: 2, cursor: first.next! });
    expect([second.items.map((l) => l.id), second.next]).toEqual([['hotel:e3', 'billing:e4'], '1004:billing:e4']);
    const last = await mediator.ask(ServiceDeadLetters, { limit: 2, cursor: second.next! });
    expect([last.items.map((l) => l.id), last.next]).toEqual([['billing:e5'], null]);
    expect((await mediator.ask(ServiceDeadLetters, {})).items).toHaveLength(5);
    await expect(mediator.ask(ServiceDeadLetters, { limit: 101 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(mediator.ask(ServiceDeadLetters, { cursor: 'page 2' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  } finally {
    await billing.close();
    await stores.close();
  }
});

it('reads each page from the stores, a letter more than the page, rather than every letter parked', async () => {
  const stores = await createStores();
  const billing = sqlite(':memory:');
  try {
    for (let n = 1; n <= 30; n++) await billing.deadLetters.add(letter('billing', n, 1_000 + (n % 3)));
    // Billing's own store, telling how many letters each of its lists read.
    const read: number[] = [];
    const deadLetters: DeadLetterStore = {
      add: (parked) => billing.deadLetters.add(parked),
      get: (id) => billing.deadLetters.get(id),
      remove: (id) => billing.deadLetters.remove(id),
      list: async (subscriber, page) => {
        const letters = await billing.deadLetters.list(subscriber, page);
        read.push(letters.length);
        return letters;
      },
    };
    const mediator = registerDeadLetters(createMediator(), [
      localDeadLetters(billingReplies(stores)),
      localDeadLetters({ ...billingReceiver(billing), deadLetters }),
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: readonly DeadLetterView[]; next: string | null } = await mediator.ask(ServiceDeadLetters, {
        limit: 4,
        ...(cursor === null ? {} : { cursor }),
      });
      seen.push(...page.items.map((l) => l.id));
      cursor = page.next;
    } while (cursor !== null);
    const all = await billing.deadLetters.list();
    expect(seen).toEqual(all.map((l) => l.id));
    expect(read).toEqual([5, 5, 5, 5, 5, 5, 5, 2]);
    // A cursor no page gives: a time past what a number holds exactly.
    await expect(mediator.ask(ServiceDeadLetters, { cursor: '9999999999999999:billing:e1' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  } finally {
    await billing.close();
    await stores.close();
  }
});
