import {
  type CommitDialect,
  EVENT_COLUMNS,
  type EventRow,
  type IdempotencyRow,
  recordEvent,
  toJson,
  type VersionedRow,
} from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import type { SqliteStatement as Statement } from '../driver/connection.js';
import { type EventRows, eventRows } from './event-rows.js';

type IdempotencyInsert = {
  readonly key: string;
  readonly commandType: string;
  readonly fingerprint: string;
  readonly result: string | null;
  readonly position: number | null;
  readonly at: number;
};

/** An event's id, stream, type, schema version, data, metadata, timestamp; its stream again; the expected version. */
type AppendOne = [
  id: string,
  streamId: string,
  type: string,
  schemaVersion: number,
  data: string | null,
  metadata: string,
  timestamp: number,
  streamIdAgain: string,
  expected: number | null,
];

/** Every statement the event store runs, prepared once when the store opens. */
export class EventStoreStatements {
  readonly head: Statement<[], number>;
  readonly dataVersion: Statement<[], number>;
  readonly streamVersion: Statement<[string], number>;
  readonly insertEvent: Statement<[EventRow]>;
  readonly appendOne: Statement<AppendOne, { readonly position: number; readonly version: number }>;
  readonly readForward: EventRows<[string, number, number]>;
  readonly readBackward: EventRows<[string, number, number]>;
  readonly readAll: EventRows<[number, number]>;
  readonly readLatest: EventRows<[number, number]>;
  readonly stateVersion: Statement<[string, string], number>;
  readonly loadState: Statement<[string, string], VersionedRow>;
  readonly saveState: Statement<[string, string, number, string | null]>;
  readonly idempotencyUsed: Statement<[string], number>;
  readonly findIdempotency: Statement<[string], IdempotencyRow>;
  readonly insertIdempotency: Statement<[IdempotencyInsert]>;
  readonly pruneIdempotency: Statement<[number, number]>;
  readonly loadSnapshot: Statement<[string, string], VersionedRow>;
  readonly saveSnapshot: Statement<[string, string, number, string | null]>;
  /** The statements the shared commit protocol runs, inside the store's transaction. */
  readonly commit: CommitDialect<SqliteConnection>;

  constructor(db: SqliteConnection) {
    const events = <P extends unknown[]>(where: string) => eventRows<P>(db, where);
    this.head = db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM twofold_events').pluck();
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.streamVersion = db
      .prepare<[string], number>('SELECT coalesce(max(stream_version), 0) FROM twofold_events WHERE stream_id = ?')
      .pluck();
    this.insertEvent = db.prepare<[EventRow]>(
      `INSERT INTO twofold_events (${EVENT_COLUMNS})
       VALUES (@position, @id, @stream_id, @stream_version, @type, @schema_version, @data, @metadata, @timestamp)`,
    );
    // One event appended to one stream in a single statement: its own transaction, with the write lock taken
    // before the version is read. No row comes back when the stream is not at the expected version (NULL: any).
    this.appendOne = db.prepare(
      `INSERT INTO twofold_events (${EVENT_COLUMNS})
       SELECT NULL, ?, ?, v + 1, ?, ?, ?, ?, ?
       FROM (SELECT coalesce(max(stream_version), 0) AS v FROM twofold_events WHERE stream_id = ?)
       WHERE v = coalesce(?, v)
       RETURNING position, stream_version AS version`,
    );
    this.readForward = events('stream_id = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?');
    this.readBackward = events('stream_id = ? AND stream_version <= ? ORDER BY stream_version DESC LIMIT ?');
    this.readAll = events('position > ? ORDER BY position LIMIT ?');
    this.readLatest = events('position < ? ORDER BY position DESC LIMIT ?');
    this.stateVersion = db
      .prepare<[string, string], number>('SELECT version FROM twofold_states WHERE collection = ? AND id = ?')
      .pluck();
    this.loadState = db.prepare('SELECT version, state FROM twofold_states WHERE collection = ? AND id = ?');
    this.saveState = db.prepare(
      `INSERT INTO twofold_states (collection, id, version, state) VALUES (?, ?, ?, ?)
       ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, state = excluded.state`,
    );
    this.idempotencyUsed = db.prepare<[string], number>('SELECT 1 FROM twofold_idempotency WHERE key = ?').pluck();
    this.findIdempotency = db.prepare(
      'SELECT command_type, fingerprint, result, position FROM twofold_idempotency WHERE key = ?',
    );
    this.insertIdempotency = db.prepare(
      `INSERT INTO twofold_idempotency (key, command_type, fingerprint, result, position, at)
       VALUES (@key, @commandType, @fingerprint, @result, @position, @at)`,
    );
    // Oldest first, through the index on `at`.
    this.pruneIdempotency = db.prepare(
      `DELETE FROM twofold_idempotency
       WHERE key IN (SELECT key FROM twofold_idempotency WHERE at < ? ORDER BY at LIMIT ?)`,
    );
    this.loadSnapshot = db.prepare('SELECT version, state FROM twofold_snapshots WHERE name = ? AND stream_id = ?');
    this.saveSnapshot = db.prepare(
      `INSERT INTO twofold_snapshots (name, stream_id, version, state) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, stream_id) DO UPDATE SET version = excluded.version, state = excluded.state`,
    );
    this.commit = {
      streamVersion: (_, streamId) => this.streamVersion.get(streamId)!,
      stateVersion: (_, collection, id) => this.stateVersion.get(collection, id) ?? 0,
      idempotencyUsed: (_, key) => this.idempotencyUsed.get(key) !== undefined,
      head: () => this.head.get()!,
      insertEvent: (_, event, { streamId, streamVersion, position, timestamp }) => {
        const { row, recorded } = recordEvent(event, streamId, streamVersion, position, timestamp);
        this.insertEvent.run(row);
        return recorded;
      },
      saveState: (_, { collection, id, version, state }) => {
        this.saveState.run(collection, id, version, toJson(state));
      },
      saveIdempotency: (_, { key, commandType, fingerprint, result, position, at }) => {
        this.insertIdempotency.run({
          key,
          commandType,
          fingerprint,
          result: toJson(result),
          position: position ?? null,
          at,
        });
      },
    };
  }
}
