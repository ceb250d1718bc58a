// The receiving service of the latency phase, in this process or in another: an invoices table on its own SQLite
// file, written through the inbox, and the moment each message's transaction committed.
import type { InboxStore, RecordedEvent } from '@twofold/core';
import type { SqliteConnection, SqliteDatabase } from '@twofold/sqlite';

/**
 * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC on Linux), with sub-millisecond precision:
 * comparable between processes of one machine, unlike `performance.timeOrigin`, which each process fixes at its
 * start and can be off by as long as the process waited for a CPU then.
 */
export const now = () => Number(process.hrtime.bigint()) / 1e6;

/** The inbox, dead letters, handler and logger of a NatsConsumer that invoices each booking and reports when. */
export function invoicing(db: SqliteDatabase, handled: (eventId: string, at: number) => void) {
  db.connection.exec('CREATE TABLE IF NOT EXISTS invoices (booking TEXT PRIMARY KEY)');
  const insert = db.connection.prepare('INSERT INTO invoices (booking) VALUES (?)');
  const inbox: InboxStore<SqliteConnection> = {
    received: (consumer, id) => db.inbox.received(consumer, id),
    pruneBefore: (consumer, before) => db.inbox.pruneBefore(consumer, before),
    receive: async (consumer, id, effect) => {
      const fresh = await db.inbox.receive(consumer, id, effect);
      handled(id, now());
      return fresh;
    },
  };
  return {
    inbox,
    deadLetters: db.deadLetters,
    handle: (event: RecordedEvent) => void insert.run((event.data as { bookingId: string }).bookingId),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  };
}
