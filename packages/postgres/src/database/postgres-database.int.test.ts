import {
  type Database,
  type DocumentReader,
  type DocumentTx,
  defineEvent,
  inlineProjection,
  ProjectionRunner,
  projection,
  START,
  streamId,
} from '@twofold/core';
import { queuedCommand } from '@twofold/core/testing';
import pg from 'pg';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { usePostgres } from '../../tests/server.js';
import { type PostgresClient, type PostgresDatabase, postgres } from '../index.js';

const server = usePostgres();
const Noted = defineEvent('test.Noted', z.object({ id: z.string() }));

/** The server connections whose application_name is `name` (those whose last statement was a LISTEN, when `listening`). */
async function connections(name: string, listening = false): Promise<number> {
  const admin = new pg.Client(server.url);
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1${listening ? " AND query LIKE 'LISTEN %'" : ''}`,
      [name],
    );
    return rows[0]!.n;
  } finally {
    await admin.end();
  }
}

describe('the PostgreSQL database handle', () => {
  it("is one of core's Database handles, its documents read with DocumentReader, its inline projections async", () => {
    expectTypeOf<PostgresDatabase>().toExtend<Database<PostgresClient, DocumentTx>>();
    expectTypeOf<PostgresDatabase['documents']['read']>().returns.toEqualTypeOf<DocumentReader>();
  });

  it('holds at most its pool, one listening client and one client per lease, whatever its stores do at once', async () => {
    const name = `handle_${process.pid}`;
    const db = await postgres({
      connection: `${server.url}?application_name=${name}`,
      schema: server.schema(),
      maxConnections: 3,
    });
    try {
      const notes = projection<DocumentTx>('notes').on(Noted, ({ id }, tx) => tx.collection('notes').put(id, { id }));
      // The write transaction is asynchronous here: inline projections get the documents' own DocumentTx.
      expect(db.documents.inline).toBe(db.documents);
      const inline = inlineProjection(notes, db.documents.inline);
      await new ProjectionRunner({ projection: notes, store: db.documents, feed: db.events }).catchUp();
      const later = projection<DocumentTx>('later').on(Noted, ({ id }, tx) => tx.collection('notes').put(id, { id }));
      const runner = new ProjectionRunner({ projection: later, store: db.documents, feed: db.events });
      const lease = db.runExclusively({ name: 'later', intervalMs: 10 }, runner);
      await expect.poll(() => lease.leader).toBe(true);
      const waiting = db.events.waitForEvents(START, AbortSignal.timeout(10_000));
      let peak = 0;
      const commits = Array.from({ length: 40 }, (_, i) =>
        db.events.commit({
          appends: [
            {
              streamId: streamId('note', i),
              expectedVersion: 'any',
              events: [{ type: Noted.type, data: { id: `n${i}` } }],
            },
          ],
          participants: [inline.participant],
        }),
      );
      const reads = Array.from({ length: 40 }, () => db.documents.read(notes).collection('notes').count());
      const work = Promise.all([...commits, ...reads, db.checkpoints.get('x'), db.deadLetters.list(), waiting]);
      for (let i = 0; i < 5; i++) peak = Math.max(peak, await connections(name));
      await work;
      await expect.poll(async () => runner.status().then((s) => s.lagEvents)).toBe(0);
      peak = Math.max(peak, await connections(name));
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(3 + 1 + 1);
      expect(await db.documents.read(later).collection('notes').count()).toBe(40);
    } finally {
      await db.close();
    }
    await expect.poll(() => connections(name)).toBe(0);
  });

  it("listens for its event store's readers and its queue's workers on one connection", async () => {
    const name = `listen_${process.pid}`;
    const schema = server.schema();
    const db = await postgres({ connection: `${server.url}?application_name=${name}`, schema });
    const other = await server.database({ schema });
    try {
      let woken = 0;
      const stop = db.commands.subscribe(() => woken++);
      const waiting = db.events.waitForEvents(START, AbortSignal.timeout(10_000));
      // Until the listener is up, a NOTIFY may pass unheard: enqueue on the other node until one wakes this one.
      let n = 0;
      await expect
        .poll(async () => {
          await other.commands.enqueue(queuedCommand(`c${++n}`));
          return woken;
        })
        .toBeGreaterThan(0);
      await other.events.append(streamId('s', 1), [{ type: Noted.type, data: { id: 'a' } }]);
      await waiting;
      expect(await connections(name, true)).toBe(1);
      stop();
    } finally {
      await db.close();
    }
    await expect.poll(() => connections(name)).toBe(0);
  });

  it('closes its leases, stopping their work, when it closes; closing twice is harmless', async () => {
    const db = await postgres({ connection: server.url, schema: server.schema() });
    const events: string[] = [];
    const lease = db.runExclusively(
      { name: 'work', intervalMs: 10 },
      { start: () => void events.push('start'), stop: () => void events.push('stop') },
    );
    await expect.poll(() => lease.leader).toBe(true);
    await db.close();
    await db.close();
    expect(lease.leader).toBe(false);
    expect(events).toEqual(['start', 'stop']);
    expect(() => db.runExclusively({ name: 'late' }, { start() {}, stop() {} })).toThrow(/is closed/);
  });

  it("leaves an application's own pool open when it closes, and shares it with the application's tables", async () => {
    const schema = server.schema();
    const pool = new pg.Pool({ connectionString: server.url, options: `-c search_path=${schema}`, max: 2 });
    try {
      // The pool's search_path names the schema; the application creates it.
      await pool.query(`CREATE SCHEMA ${schema}`);
      const db = await postgres({ connection: pool });
      expect(db.pool).toBe(pool);
      await db.events.append(streamId('s', 1), [{ type: Noted.type, data: { id: 'a' } }]);
      await db.close();
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM twofold_events');
      expect(rows[0]!.n).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
