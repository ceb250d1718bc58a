import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import * as core from '../index.js';
import { defineEvent } from '../messages/define.js';
import { type GlobalPosition, START } from '../positions/position.js';
import type { DocumentTx, InlineDocumentTx } from './documents.js';
import { inlineProjection } from './inline.js';
import { MemoryDocumentStore } from './memory-store.js';
import { projection } from './projection.js';
import { ProjectionRunner } from './runner.js';

const Noted = defineEvent('test.Noted', z.object({ id: z.string() }));

describe('one document API', () => {
  it('leaves no second family of document types or helpers in @twofold/core', () => {
    const names = Object.keys(core);
    expect(names.filter((name) => /^(Portable|Async)|^(andThen|eachInOrder|Awaitable)$/.test(name))).toEqual([]);
    const typeOnly = () => {
      // @ts-expect-error the portable union is gone: every store answers with promises
      type Portable = core.PortableDocumentTx;
      // @ts-expect-error the async names are the plain ones now
      type Async = core.AsyncDocumentTx;
      // @ts-expect-error gone with andThen
      type Either = core.Awaitable<number>;
      return [] as unknown as [Portable, Async, Either];
    };
    void typeOnly;
  });

  it('hands an asynchronous projection a DocumentTx, and an inline one on memory an InlineDocumentTx', () => {
    const documents = new MemoryDocumentStore();
    expectTypeOf(documents.commit).parameter(3).parameter(0).toEqualTypeOf<DocumentTx>();
    expectTypeOf(documents.inline.commit).parameter(3).parameter(0).toEqualTypeOf<InlineDocumentTx>();
    const inline = projection<InlineDocumentTx>('inline');
    const typeOnly = () => {
      // @ts-expect-error a runner on the documents applies asynchronous projections only
      new ProjectionRunner({ projection: inline, store: documents, feed: new MemoryStore() });
      // @ts-expect-error an asynchronous projection cannot run inside the synchronous write transaction
      inlineProjection(projection<DocumentTx>('async'), documents.inline);
    };
    void typeOnly;
  });

  it('answers a failing read with a rejected promise, not a throw', async () => {
    const documents = new MemoryDocumentStore();
    const slot = { projection: 'p', version: 1 };
    await documents.commit(slot, START, 1 as GlobalPosition, async (tx) => {
      const notes = tx.collection('notes');
      const bad = notes.find(undefined, { limit: 0 });
      await expect(bad).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });

  it('refuses, in memory as on SQLite, an inline handler that returns a promise, and commits nothing', async () => {
    const store = new MemoryStore();
    const documents = new MemoryDocumentStore();
    const awaiting = projection<InlineDocumentTx>('awaiting').on(Noted, (async (
      { id }: { id: string },
      tx: InlineDocumentTx,
    ) => {
      tx.collection('notes').put(id, { id });
    }) as never);
    const inline = inlineProjection(awaiting, documents.inline);
    await expect(
      store.commit({
        appends: [
          {
            streamId: streamId('note', 'n1'),
            expectedVersion: 'any',
            events: [{ type: Noted.type, data: { id: 'n1' } }],
          },
        ],
        participants: [inline.participant],
      }),
    ).rejects.toThrow(/returned a promise: inline projections run in a synchronous transaction/);
    expect(await store.head()).toBe(START);
    expect(await documents.read(awaiting).collection('notes').count()).toBe(0);
    // Bringing it up to the end of the log refuses it too.
    await store.append(streamId('note', 'n2'), [{ type: Noted.type, data: { id: 'n2' } }]);
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const runner = new ProjectionRunner({ projection: awaiting, store: documents.inline, feed: store, logger: quiet });
    await expect(runner.catchUp()).rejects.toThrow(/returned a promise/);
    expect(await documents.inline.checkpoint({ projection: 'awaiting', version: 1 })).toBe(START);
  });
});
