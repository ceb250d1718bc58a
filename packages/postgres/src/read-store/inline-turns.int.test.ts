import {
  type DocumentTx,
  defineCommand,
  defineDecider,
  defineEvent,
  inlineProjection,
  ProjectionRunner,
  projection,
  streamId,
  twofold,
} from '@twofold/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usePostgres } from '../../tests/server.js';
import type { PostgresClient } from '../connection/schema-pool.js';

const server = usePostgres();

const Noted = defineEvent('test.Noted', z.object({ id: z.string() }));
const Other = defineEvent('test.Other', z.object({ id: z.string() }));
// Refuses a note twice, as a read model that stands for a unique index does: it reads what earlier commits wrote.
const notes = projection<DocumentTx>('notes').on(Noted, async ({ id }, tx) => {
  const collection = tx.collection<{ id: string }>('notes');
  if ((await collection.get(id)) !== undefined) throw new Error(`note ${id} exists`);
  collection.put(id, { id });
});

const Note = defineCommand('test.Note', z.object({ id: z.string() }));
const Remark = defineCommand('test.Remark', z.object({ id: z.string() }));
const noting = defineDecider({
  name: 'note',
  commands: [Note, Remark],
  events: [Noted, Other],
  initialState: () => ({}),
  evolve: (state) => state,
  decide: (command) => {
    switch (command.type) {
      case 'test.Note':
        return [{ type: 'test.Noted', data: command.data }];
      case 'test.Remark':
        return [{ type: 'test.Other', data: command.data }];
      default:
        return command satisfies never;
    }
  },
});

/**
 * Holds what awaits `hold` (a participant, a handler) until released, and says when it holds it: with the commit's
 * transaction `tx`, by the server process that runs it.
 */
function gate() {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holds = (_pid: number | undefined) => {};
  const holding = new Promise<number | undefined>((resolve) => {
    holds = resolve;
  });
  const hold = async (tx?: PostgresClient) => {
    holds(tx && (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    await released;
  };
  return { hold, holding, release };
}

/**
 * A handle with the notes applied inline, a commit that holds its transaction open after applying them until
 * released, and a watcher that reads pg_stat_activity outside any transaction (a transaction's view of it never
 * changes) for the backends that commit holds up.
 */
async function setup() {
  const db = await server.database();
  await new ProjectionRunner({ projection: notes, store: db.documents, feed: db.events }).catchUp();
  const inline = inlineProjection(notes, db.documents);
  let streams = 0;
  const commit = (type: string, id: string, hold?: (tx: PostgresClient) => Promise<void>) =>
    db.events.commit({
      // A stream of its own, so that commits of one note meet only on the projection's slot.
      appends: [{ streamId: streamId('note', ++streams), expectedVersion: 'any', events: [{ type, data: { id } }] }],
      participants: hold === undefined ? [inline.participant] : [inline.participant, hold],
    });
  const first = gate();
  const held = commit(Noted.type, 'a', first.hold);
  const pid = await first.holding;
  const release = first.release;
  const watcher = new pg.Client({ connectionString: server.url });
  await watcher.connect();
  // Polls until a backend waits for the held commit, or `until` settles first.
  const heldUp = async (until: Promise<unknown>): Promise<'held up'> => {
    let settled = false;
    until.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      const { rows } = await watcher.query(
        'SELECT pid FROM pg_stat_activity WHERE $1::integer = ANY (pg_blocking_pids(pid))',
        [pid],
      );
      if (rows.length > 0) return 'held up';
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return new Promise<never>(() => {});
  };
  return { db, commit, held, release, heldUp, close: () => watcher.end() };
}

describe('PostgreSQL inline projections under concurrent commits', () => {
  it('lets a commit with no event of the projection through while another holds the slot', async () => {
    const { db, commit, held, release, heldUp, close } = await setup();
    try {
      const other = commit(Other.type, 'b');
      expect(await Promise.race([other.then(() => 'committed'), heldUp(other)])).toBe('committed');
      release();
      const { position } = await held;
      expect(await db.documents.read('notes').collection('notes').get('a')).toEqual({ id: 'a' });
      // The checkpoint stays at the last commit the projection had something in.
      expect(await db.documents.checkpoint({ projection: 'notes', version: 1 })).toBe(position);
    } finally {
      release();
      await close();
    }
  });

  it('makes commits with events of the projection take turns, each seeing what the one before wrote', async () => {
    const { db, commit, held, release, heldUp, close } = await setup();
    try {
      const again = commit(Noted.type, 'a');
      again.catch(() => {});
      expect(
        await Promise.race([
          again.then(
            () => 'committed',
            () => 'failed',
          ),
          heldUp(again),
        ]),
      ).toBe('held up');
      release();
      await held;
      await expect(again).rejects.toThrow('note a exists');
      expect(await db.documents.read('notes').collection('notes').count()).toBe(1);
    } finally {
      release();
      await close();
    }
  });

  it("keeps a commit waiting for the projection's turn from holding readers back", async () => {
    const { db, commit, held, release, heldUp, close } = await setup();
    const second = gate();
    try {
      const waiting = commit(Noted.type, 'b', second.hold);
      expect(
        await Promise.race([
          waiting.then(
            () => 'committed',
            () => 'failed',
          ),
          heldUp(waiting),
        ]),
      ).toBe('held up');
      // Committed while the second note waits for its turn: a reader must see it once the first note has ended,
      // while the second note still holds its turn.
      const other = await commit(Other.type, 'c');
      release();
      await held;
      await second.holding;
      expect(await db.events.head()).toBeGreaterThanOrEqual(other.position!);
      second.release();
      const { position } = await waiting;
      expect(await db.documents.read('notes').collection('notes').count()).toBe(2);
      expect(await db.documents.checkpoint({ projection: 'notes', version: 1 })).toBe(position);
    } finally {
      release();
      second.release();
      await close();
    }
  });

  it("has an app's commits wait for an inline projection's turn before they write their events", async () => {
    const db = await server.database();
    const pauses = new Map<string, ReturnType<typeof gate>>([
      ['a', gate()],
      ['b', gate()],
    ]);
    // Each note's handler holds its commit open, in its turn, until released.
    const paused = projection<DocumentTx>('paused').on(Noted, async ({ id }, tx) => {
      await pauses.get(id)?.hold();
      tx.collection('notes').put(id, { id });
    });
    const app = await twofold({ store: db })
      .decider(noting, { stream: ({ data }) => streamId('note', data.id) })
      .projection(paused, { inline: true })
      .start();
    const watcher = new pg.Client({ connectionString: server.url });
    await watcher.connect();
    try {
      const first = app.send(Note, { id: 'a' });
      await pauses.get('a')!.holding;
      const second = app.send(Note, { id: 'b' });
      // Until the second note's commit waits for a lock: the turn the first one holds.
      for (;;) {
        const { rows } = await watcher.query<{ waiting: number }>(
          `SELECT count(*)::integer AS waiting FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND datname = current_database()`,
        );
        if (rows[0]!.waiting > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const { position } = await app.execute(Remark, { id: 'c' });
      pauses.get('a')!.release();
      await first;
      await pauses.get('b')!.holding;
      expect(await db.events.head()).toBeGreaterThanOrEqual(position!);
      pauses.get('b')!.release();
      await second;
      expect(await db.documents.read('paused').collection('notes').count()).toBe(2);
    } finally {
      for (const pause of pauses.values()) pause.release();
      await watcher.end();
      await app.close();
    }
  });

  it('creates the slot on the first commit when no catch-up wrote it before', async () => {
    const db = await server.database();
    const inline = inlineProjection(notes, db.documents);
    const note = (stream: number) =>
      db.events.commit({
        appends: [
          {
            streamId: streamId('note', stream),
            expectedVersion: 'any',
            events: [{ type: Noted.type, data: { id: 'a' } }],
          },
        ],
        participants: [inline.participant],
      });
    const { position } = await note(1);
    expect(await db.documents.checkpoint({ projection: 'notes', version: 1 })).toBe(position);
    // The second commit's handler finds the note the first one wrote into the new slot.
    await expect(note(2)).rejects.toThrow('note a exists');
  });
});
