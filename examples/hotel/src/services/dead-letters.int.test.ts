// hotel.ServiceDeadLetters over both sides' dead letters, a page at a time: a NATS reply is bounded, and a page is
// what one answer holds.
import { createMediator, type DeadLetter } from '@twofold/core';
import { sqlite } from '@twofold/sqlite';
import { expect, it } from 'vitest';
import { createStores } from '../app/stores.js';
import { billingReplies } from '../cancellation/replies.js';
import { billingReceiver } from './billing/service.js';
import { localDeadLetters, registerDeadLetters, ServiceDeadLetters } from './dead-letters.js';

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
