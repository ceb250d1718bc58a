import {
  createMediator,
  type DocumentTx,
  defineCommand,
  defineDecider,
  defineEvent,
  defineQuery,
  MemoryCheckpointStore,
  MemoryDeadLetterStore,
  ProjectionRunner,
  projection,
  SubscriberRunner,
  streamId,
  subscriber,
  writeModels,
} from '@twofold/core';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgres } from '../src/index.js';
import { usePostgres } from './server.js';

// How long the neighbours keep their transactions open; the hostile-neighbour bench holds them for minutes.
const HOLD_MS = Number(process.env.TWOFOLD_NEIGHBOUR_MS ?? 3_000);

const server = usePostgres();
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

const Note = defineCommand('test.Note', z.object({ id: z.string(), text: z.string() }));
const Noted = defineEvent('test.Noted', z.object({ id: z.string(), text: z.string() }));
const NoteText = defineQuery('test.NoteText', z.object({ id: z.string() }), z.string().optional());
const note = defineDecider({
  name: 'note',
  commands: [Note],
  events: [Noted],
  initialState: () => ({}),
  evolve: (state) => state,
  decide: (command) => [{ type: 'test.Noted', data: command.data }],
});
const notes = projection<DocumentTx>('notes').on(Noted, ({ id, text }, tx) =>
  tx.collection<{ text: string }>('notes').put(id, { text }),
);

/** A client that opens a transaction, takes a transaction id, and keeps both until `end()`. */
async function openTransaction(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client(connectionString);
  await client.connect();
  closing.push(() => client.end());
  await client.query('BEGIN');
  await client.query('SELECT pg_current_xact_id()');
  return client;
}

describe('a long transaction of another client on the same PostgreSQL', () => {
  it(
    `holds back neither commands nor read-your-writes queries, in another database or the same one (${HOLD_MS} ms)`,
    async () => {
      const schema = server.schema();
      const db = await postgres({ connection: server.url, schema });
      closing.push(() => db.close());
      const { events: store, documents: views } = db;
      const runner = new ProjectionRunner({ projection: notes, store: views, feed: store });
      runner.start();
      closing.push(() => runner.stop());
      const app = createMediator({ consistencyTimeout: 2_000 })
        .command(Note, writeModels({ store }).eventSourced(note, { stream: ({ data }) => streamId('note', data.id) }))
        .query(
          NoteText,
          async ({ id }) => (await views.read(notes).collection<{ text: string }>('notes').get(id))?.text,
          { reads: [runner.progress] },
        );

      const admin = new pg.Client(server.url);
      await admin.connect();
      closing.push(() => admin.end());
      await admin.query(`CREATE DATABASE ${schema}_neighbour`);
      closing.push(() => admin.query(`DROP DATABASE ${schema}_neighbour WITH (FORCE)`));
      const url = new URL(server.url);
      url.pathname = `/${schema}_neighbour`;
      const neighbours = [await openTransaction(url.toString()), await openTransaction(server.url)];

      const started = Date.now();
      let rounds = 0;
      while (Date.now() - started < HOLD_MS || rounds < 3) {
        const id = `n${++rounds}`;
        const { position } = await app.execute(Note, { id, text: `note ${rounds}` });
        expect(await app.ask(NoteText, { id }, { after: position })).toBe(`note ${rounds}`);
      }
      const status = await runner.status();
      expect(status.heldBy).toBeUndefined();
      expect(status.lagEvents).toBe(0);
      // The neighbours were there all along.
      for (const client of neighbours) await client.query('COMMIT');
      console.info(`hostile neighbour: ${rounds} commands read back while two transactions stayed open ${HOLD_MS} ms`);
    },
    60_000 + HOLD_MS,
  );
});

describe("the store's own long transaction", () => {
  it('holds readers back, and the lag report says which transaction, in which server process, since when', async () => {
    const schema = server.schema();
    const db = await postgres({ connection: server.url, schema });
    closing.push(() => db.close());
    const { events: store, documents: views } = db;
    const runner = new ProjectionRunner({ projection: notes, store: views, feed: store });
    await runner.catchUp();

    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let writer: { pid: number; xid: number } | undefined;
    const before = Date.now();
    const slow = store.commit({
      appends: [{ streamId: streamId('note', 'slow'), expectedVersion: 'any', events: [noted('slow')] }],
      participants: [
        async (tx) => {
          const { rows } = await tx.query<{ pid: number; xid: string }>(
            'SELECT pg_backend_pid() AS pid, pg_current_xact_id()::text AS xid',
          );
          writer = { pid: rows[0]!.pid, xid: Number(rows[0]!.xid) };
          entered();
          await gate;
        },
      ],
    });
    await inside;
    // Nothing committed after it yet: nothing is held back.
    expect((await runner.status()).heldBy).toBeUndefined();
    const fast = await store.append(streamId('note', 'fast'), [noted('fast')]);

    const held = await runner.status();
    const mailer = new SubscriberRunner({
      subscriber: subscriber('mailer').on(Noted, () => {}),
      feed: store,
      checkpoints: new MemoryCheckpointStore(),
      deadLetters: new MemoryDeadLetterStore(),
    });
    expect((await mailer.status()).heldBy).toEqual(held.heldBy);
    expect(held.heldBy).toEqual({ pid: writer!.pid, xid: writer!.xid, since: expect.any(Number) });
    expect(held.heldBy!.since).toBeGreaterThanOrEqual(before - 1_000);
    expect(held.heldBy!.since).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(await store.readAll(await runner.catchUp(), 10)).toEqual([]);
    expect(await store.head()).toBeLessThan(fast.position!);

    release();
    await slow;
    expect((await runner.status()).heldBy).toBeUndefined();
    expect(await store.head()).toBe(fast.position);
  });
});

const noted = (id: string) => ({ type: 'test.Noted', data: { id, text: id } });
