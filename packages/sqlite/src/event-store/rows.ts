import type { GlobalPosition, NewEvent, RecordedEvent, StreamId } from '@twofold/core';
import { fromJson, toJson } from './json.js';

/** An event row as stored in `twofold_events`. */
export interface EventRow {
  readonly position: number;
  readonly id: string;
  readonly stream_id: string;
  readonly stream_version: number;
  readonly type: string;
  readonly schema_version: number;
  readonly data: string | null;
  readonly metadata: string;
  readonly timestamp: number;
}

/** The columns of one new event, in the order of the insert statement. */
export type EventInsert = [
  position: number,
  id: string,
  streamId: string,
  streamVersion: number,
  type: string,
  schemaVersion: number,
  data: string | null,
  metadata: string,
  timestamp: number,
];

export const EVENT_COLUMNS = 'position, id, stream_id, stream_version, type, schema_version, data, metadata, timestamp';

/** The row of a new event and the event as recorded; the data is the parsed JSON, as every later read gives it. */
export function recordEvent(
  event: NewEvent,
  streamId: StreamId,
  streamVersion: number,
  position: number,
  timestamp: number,
): { readonly row: EventInsert; readonly recorded: RecordedEvent } {
  const data = toJson(event.data);
  const metadata = event.metadata ?? {};
  const row: EventInsert = [
    position,
    event.id ?? crypto.randomUUID(),
    streamId,
    streamVersion,
    event.type,
    event.schemaVersion ?? 1,
    data,
    JSON.stringify(metadata),
    timestamp,
  ];
  const recorded: RecordedEvent = {
    id: row[1],
    type: event.type,
    data: data === null ? undefined : JSON.parse(data),
    metadata,
    streamId,
    streamVersion,
    position: position as GlobalPosition,
    timestamp,
    schemaVersion: row[5],
  };
  return { row, recorded };
}

/** The event a row holds; corrupt JSON fails with CORRUPT_DATA naming the stream and the position. */
export function eventFromRow(row: EventRow): RecordedEvent {
  const where = (column: string) => () =>
    `The ${column} of event ${row.type} at position ${row.position} of stream ${row.stream_id} (version ${row.stream_version})`;
  return {
    id: row.id,
    type: row.type,
    data: fromJson(row.data, where('data')),
    metadata: (fromJson(row.metadata, where('metadata')) ?? {}) as Readonly<Record<string, unknown>>,
    streamId: row.stream_id as StreamId,
    streamVersion: row.stream_version,
    position: row.position as GlobalPosition,
    timestamp: row.timestamp,
    schemaVersion: row.schema_version,
  };
}
