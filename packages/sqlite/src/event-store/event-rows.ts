import { EVENT_COLUMNS, type EventRow } from '@twofold/core/adapters';
import type { SqliteConnection } from '../connection/open.js';
import { prepareValueRows } from '../driver/value-rows.js';

/** A read of events: rows of `twofold_events`, all of their columns. */
export interface EventRows<P extends unknown[]> {
  all(...params: P): EventRow[];
}

// A row's values in the order of EVENT_COLUMNS.
type EventValues = [
  position: number,
  id: string,
  stream_id: string,
  stream_version: number,
  type: string,
  schema_version: number,
  data: string | null,
  metadata: string,
  timestamp: number,
];

/**
 * Prepares a read of the events matching `where` (SQL after WHERE, with its order and limit). Where the driver
 * answers arrays of values faster than rows keyed by column name (see {@link prepareValueRows}), the rows are
 * named here instead.
 */
export function eventRows<P extends unknown[]>(db: SqliteConnection, where: string): EventRows<P> {
  const sql = `SELECT ${EVENT_COLUMNS} FROM twofold_events WHERE ${where}`;
  const values = prepareValueRows<P>(db, sql);
  if (values === undefined) return db.prepare<P, EventRow>(sql);
  return { all: (...params) => values.all(...params).map((row) => named(row as EventValues)) };
}

function named(values: EventValues): EventRow {
  const [position, id, stream_id, stream_version, type, schema_version, data, metadata, timestamp] = values;
  return { position, id, stream_id, stream_version, type, schema_version, data, metadata, timestamp };
}
