import type { DeadLetter } from '../dead-letters/ports.js';
import { CorruptDataError, InvalidArgumentError } from '../errors/errors.js';
import type { NewEvent, RecordedEvent, StreamId } from '../event-store/records.js';
import type { GlobalPosition } from '../positions/position.js';

/** JSON text for a column; `undefined` is stored as NULL so that it reads back as `undefined`. */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export { fromJson } from '../runtime/json.js';

/** An event row as the SQL adapters store it: JSON as text, the position and timestamp as integers. */
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

/** The columns of an event row, in the order of {@link EventRow}'s fields. */
export const EVENT_COLUMNS = 'position, id, stream_id, stream_version, type, schema_version, data, metadata, timestamp';

/** The row of a new event and the event as recorded; the data is the parsed JSON, as every later read gives it. */
export function recordEvent(
  event: NewEvent,
  streamId: StreamId,
  streamVersion: number,
  position: number,
  timestamp: number,
): { readonly row: EventRow; readonly recorded: RecordedEvent } {
  const data = toJson(event.data);
  const metadata = event.metadata ?? {};
  const row: EventRow = {
    position,
    id: event.id ?? crypto.randomUUID(),
    stream_id: streamId,
    stream_version: streamVersion,
    type: event.type,
    schema_version: event.schemaVersion ?? 1,
    data,
    metadata: JSON.stringify(metadata),
    timestamp,
  };
  const recorded: RecordedEvent = {
    id: row.id,
    type: event.type,
    data: data === null ? undefined : JSON.parse(data),
    metadata,
    streamId,
    streamVersion,
    position: position as GlobalPosition,
    timestamp,
    schemaVersion: row.schema_version,
  };
  return { row, recorded };
}

/** The event a row holds; corrupt JSON fails with CORRUPT_DATA naming the stream and the position. */
export function eventFromRow(row: EventRow): RecordedEvent {
  // A catch-up decodes every event of the log: no closure per row, and the usual empty metadata without a parse.
  const metadata = row.metadata === '{}' ? {} : eventColumn(row, 'metadata');
  return {
    id: row.id,
    type: row.type,
    data: row.data === null ? undefined : eventColumn(row, 'data'),
    metadata: (metadata ?? {}) as Readonly<Record<string, unknown>>,
    streamId: row.stream_id as StreamId,
    streamVersion: row.stream_version,
    position: row.position as GlobalPosition,
    timestamp: row.timestamp,
    schemaVersion: row.schema_version,
  };
}

function eventColumn(row: EventRow, column: 'data' | 'metadata'): unknown {
  const text = row[column];
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CorruptDataError(
      `The ${column} of event ${row.type} at position ${row.position} of stream ${row.stream_id} (version ${row.stream_version}) holds corrupt JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** A projection, or its name, as read stores take it. */
export type ProjectionRef = string | { readonly name: string };

/** The name of a projection given as itself or by name; anything else fails with INVALID_ARGUMENT. */
export function projectionName(projection: ProjectionRef): string {
  const name = typeof projection === 'string' ? projection : projection?.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError('Expected a projection or its name');
  }
  return name;
}

/** A dead letter as the SQL adapters store it: the event as JSON text. */
export interface DeadLetterRow {
  readonly id: string;
  readonly subscriber: string;
  readonly event: string;
  readonly error: string;
  readonly attempts: number;
  readonly at: number | string;
}

/** The dead letter a row holds; a corrupt event fails with CORRUPT_DATA naming the letter. */
export function deadLetterFromRow(row: DeadLetterRow): DeadLetter {
  let event: RecordedEvent;
  try {
    event = JSON.parse(row.event);
  } catch (error) {
    throw new CorruptDataError(`Dead letter ${row.id} of ${row.subscriber} holds a corrupt event`, { cause: error });
  }
  return {
    id: row.id,
    subscriber: row.subscriber,
    event,
    error: row.error,
    attempts: row.attempts,
    at: Number(row.at),
  };
}
