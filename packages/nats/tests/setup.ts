import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, type OutboxStore, type RecordedEvent, streamId } from '@twofold/core';
import { type SqliteConnection, type SqliteDatabase, sqlite } from '@twofold/sqlite';
import { afterAll, afterEach } from 'vitest';
import { natsOutbox } from '../src/index.js';

export const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** SQLite handles on files in a temp folder, closed after each test; the folder goes after the file's tests. */
export function useSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'twofold-nats-'));
  const opened: SqliteDatabase[] = [];
  let count = 0;
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (path = join(dir, `db-${++count}.db`)) => {
    const db = sqlite(path);
    opened.push(db);
    return db;
  };
}

/** Commits one `hotel.RoomBooked` event per booking id, each with its outbox row, as a command would. */
export async function book(db: SqliteDatabase, ids: readonly string[], metadata: Record<string, unknown> = {}) {
  const events: RecordedEvent[] = [];
  for (const id of ids) {
    const { events: committed } = await db.events.commit({
      appends: [
        {
          streamId: streamId('booking', id),
          expectedVersion: 'no-stream',
          events: [{ type: 'hotel.RoomBooked', data: { bookingId: id }, metadata }],
        },
      ],
      participants: [natsOutbox(db.outbox)],
    });
    events.push(...committed);
  }
  return events;
}

/** A table of the receiving service: one row per handled booking, in the order handled. */
export function invoices(db: SqliteConnection) {
  db.exec('CREATE TABLE IF NOT EXISTS invoices (n INTEGER PRIMARY KEY, booking TEXT NOT NULL)');
  return {
    write: (tx: SqliteConnection, event: RecordedEvent) =>
      void tx.prepare('INSERT INTO invoices (booking) VALUES (?)').run((event.data as { bookingId: string }).bookingId),
    read: () => db.prepare<[], string>('SELECT booking FROM invoices ORDER BY n').pluck().all(),
  };
}

/** The outbox as a relay process sees it that dies after JetStream acknowledged its messages, before deleting their rows. */
export function dying(outbox: OutboxStore<never>): OutboxStore<never> {
  return {
    enqueue: () => {},
    claim: (limit, leaseMs) => outbox.claim(limit, leaseMs),
    complete: async () => {
      throw new Error('the relay process died');
    },
    fail: (id, error, retryAt) => outbox.fail(id, error, retryAt),
    parked: () => outbox.parked(),
    retry: (id) => outbox.retry(id),
  };
}
