import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { streamId } from '../event-store/records.js';
import { defineEvent } from '../messages/define.js';
import { START } from '../positions/position.js';
import type { DocumentReader, DocumentTx, InlineDocumentTx } from '../projections/documents.js';
import { projection } from '../projections/projection.js';
import { ProjectionRunner } from '../projections/runner.js';
import type { Database } from './database.js';
import { memory } from './memory.js';

const Deposited = defineEvent('bank.Deposited', z.object({ accountId: z.string(), amount: z.number() }));
const balances = projection<DocumentTx>('balances').on(Deposited, async ({ accountId, amount }, tx) => {
  const collection = tx.collection<{ amount: number }>('balances');
  collection.put(accountId, { amount: ((await collection.get(accountId))?.amount ?? 0) + amount });
});

describe('memory()', () => {
  it('is a Database whose documents are read with DocumentReader, and whose inline projections are synchronous', () => {
    expectTypeOf(memory()).toExtend<Database<unknown, InlineDocumentTx>>();
    expectTypeOf(memory().documents.read).returns.toEqualTypeOf<DocumentReader>();
    expectTypeOf(memory().documents.commit).parameter(3).parameter(0).toEqualTypeOf<DocumentTx>();
    expectTypeOf(memory().documents.inline.applyWithin).parameter(3).parameter(1).toEqualTypeOf<InlineDocumentTx>();
  });

  it('feeds a projection from its events into its documents, read back through read(projection)', async () => {
    const db = memory();
    await db.events.append(streamId('account', 'a1'), [{ type: Deposited.type, data: { accountId: 'a1', amount: 5 } }]);
    await db.events.append(streamId('account', 'a1'), [{ type: Deposited.type, data: { accountId: 'a1', amount: 7 } }]);
    await new ProjectionRunner({ projection: balances, store: db.documents, feed: db.events }).catchUp();
    expect(await db.documents.read(balances).collection('balances').get('a1')).toEqual({ amount: 12 });
    await db.close();
  });

  it('keeps checkpoints and dead letters, apart for each handle', async () => {
    const [one, two] = [memory(), memory()];
    const [event] = (
      await one.events.append(streamId('account', 'a1'), [
        { type: Deposited.type, data: { accountId: 'a1', amount: 5 } },
      ])
    ).events;
    await one.checkpoints.set('mailer', event!.position);
    await one.deadLetters.add({ id: 'd1', subscriber: 'mailer', event: event!, error: 'boom', attempts: 3, at: 1 });
    expect(await one.checkpoints.get('mailer')).toBe(event!.position);
    expect((await one.deadLetters.list('mailer')).map((letter) => letter.id)).toEqual(['d1']);
    expect(await two.checkpoints.get('mailer')).toBe(START);
    expect(await two.deadLetters.list()).toEqual([]);
    expect(await two.events.head()).toBe(START);
  });
});
