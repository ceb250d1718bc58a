import {
  ConcurrencyConflictError,
  type ExpectedVersion,
  type GlobalPosition,
  type RecordedEvent,
  type StreamAppend,
} from '@twofold/core';
import { type EventRow, recordEvent, versionMatches } from '@twofold/core/adapters';
import { toNumber } from '../connection/schema-pool.js';
import { EVENTS_PER_COMMIT } from './schema.js';
import { lockWriters, type WriterKey } from './visibility.js';

/** Runs one of the append's statements, on the pool or on the transaction's client. */
export type RunStatement = (text: string, values: unknown[]) => Promise<{ rows: unknown[]; rowCount: number | null }>;

/** How one commit's appends reach the database. */
export interface AppendTarget {
  /** The event store's transaction id base (`twofold_meta.xid_base`): positions count from it. */
  readonly base: number;
  /** The append statement of the store's schema, from {@link appendStatement}. */
  readonly statement: string;
  readonly run: RunStatement;
  /** Sends a savepoint command; only inside a transaction, where an append with 'any' that loses a race retries. */
  readonly savepoint?: ((sql: string) => Promise<unknown>) | undefined;
}

/** What an append wrote: the events as recorded, in position order, and each stream's version after it. */
export interface Appended {
  readonly events: readonly RecordedEvent[];
  readonly versions: Map<string, number>;
}

/** One new event of a commit: its row, whose columns the append statement binds, and the event as recorded. */
interface Draft {
  readonly row: EventRow;
  readonly recorded: RecordedEvent;
  /** The event's place in its commit, from 1: the low part of its position. */
  readonly ordinal: number;
}

/** A stream was not where an append expected it; the store's commit turns it into a ConcurrencyConflictError. */
export class StreamMoved extends Error {
  readonly streamId: string;
  readonly expected: readonly ExpectedVersion[];

  constructor(streamId: string, expected: readonly ExpectedVersion[]) {
    super(`Stream ${streamId} is not at the version the append expected`);
    this.streamId = streamId;
    this.expected = expected;
  }
}

/** The current version of one stream ($1), 0 when it has no events. */
export const STREAM_VERSION =
  'SELECT coalesce(max(stream_version), 0) AS version FROM twofold_events WHERE stream_id = $1';

/**
 * The statement that appends one stream's events of a commit. $4 is the expected version: -1 for any (the stream's
 * last version is read), 0 for a new stream, N for exactly N (which must exist; N + 1 must not, which the unique
 * index checks). The CASE takes the appenders' lock before the transaction id is asked for (a lone append has no
 * statement before it).
 */
export const appendStatement = (
  writers: WriterKey,
) => `INSERT INTO twofold_events (position, id, stream_id, stream_version, type, schema_version, data, metadata, timestamp)
  SELECT (CASE WHEN ${lockWriters(writers)} IS NOT NULL THEN pg_current_xact_id() END::text::bigint - $1)
           * ${EVENTS_PER_COMMIT} + e.ord, e.id, $2, v.at + e.n, e.type, e.sv, e.data, e.md, $3
    FROM (SELECT CASE WHEN $4::integer >= 0 THEN $4::integer
                      ELSE (SELECT coalesce(max(stream_version), 0) FROM twofold_events WHERE stream_id = $2) END AS at) v,
         unnest($5::integer[], $6::text[], $7::text[], $8::integer[], $9::text[], $10::text[])
           WITH ORDINALITY AS e(ord, id, type, sv, data, md, n)
   WHERE $4::integer <= 0 OR EXISTS (SELECT 1 FROM twofold_events WHERE stream_id = $2 AND stream_version = $4::integer)
  RETURNING pg_current_xact_id()::text AS xid, stream_version`;

/**
 * Writes the events of `appends`, one statement per stream, in stream order (so that two commits over the same
 * streams wait for each other rather than deadlock). Each event's position is its place in the commit, after the
 * transaction's id. The stream versions come from the events themselves: the unique index on (stream, version)
 * refuses a second writer of the same version, and an expected version above zero must exist.
 */
export async function appendEvents(appends: readonly StreamAppend[], target: AppendTarget): Promise<Appended> {
  const versions = new Map<string, number>();
  const timestamp = Date.now();
  const byStream = draftsByStream(appends, timestamp);
  const recorded: RecordedEvent[] = [];
  for (const streamId of [...byStream.keys()].sort()) {
    const { expected, drafts } = byStream.get(streamId)!;
    // Every append of a stream in one commit is checked against the stream as it was before the commit.
    const exact = [...new Set(expected.map((e) => (e === 'no-stream' ? 0 : e)).filter((e) => e !== 'any'))];
    if (exact.length > 1 || drafts.length === 0) {
      const { rows } = await target.run(STREAM_VERSION, [streamId]);
      const actual = (rows[0] as { version: number }).version;
      for (const e of expected) {
        if (!versionMatches(e, actual)) throw new ConcurrencyConflictError(`Stream ${streamId}`, e, actual);
      }
      versions.set(streamId, actual);
      continue;
    }
    const want = exact[0] ?? -1;
    const rows = await insertStream(target, [
      target.base,
      streamId,
      timestamp,
      want,
      drafts.map((d) => d.ordinal),
      drafts.map((d) => d.row.id),
      drafts.map((d) => d.row.type),
      drafts.map((d) => d.row.schema_version),
      drafts.map((d) => d.row.data),
      drafts.map((d) => d.row.metadata),
    ]);
    if (rows === undefined || rows.length === 0) throw new StreamMoved(streamId, expected);
    const first = (toNumber(rows[0]!.xid) - target.base) * EVENTS_PER_COMMIT;
    const at = Math.min(...rows.map((row) => row.stream_version)) - 1;
    drafts.forEach((draft, i) => {
      recorded.push({
        ...draft.recorded,
        streamVersion: at + i + 1,
        position: (first + draft.ordinal) as GlobalPosition,
      });
    });
    versions.set(streamId, at + drafts.length);
  }
  recorded.sort((a, b) => a.position - b.position);
  return { events: recorded, versions };
}

function draftsByStream(
  appends: readonly StreamAppend[],
  timestamp: number,
): Map<string, { expected: ExpectedVersion[]; drafts: Draft[] }> {
  const byStream = new Map<string, { expected: ExpectedVersion[]; drafts: Draft[] }>();
  let ordinal = 0;
  for (const { streamId, expectedVersion, events } of appends) {
    let stream = byStream.get(streamId);
    if (stream === undefined) {
      stream = { expected: [], drafts: [] };
      byStream.set(streamId, stream);
    }
    stream.expected.push(expectedVersion);
    for (const event of events) {
      const { row, recorded } = recordEvent(event, streamId, 0, 0, timestamp);
      stream.drafts.push({ row, recorded, ordinal: ++ordinal });
    }
  }
  return byStream;
}

// Inserts one stream's events. Inside a transaction, an append with 'any' that loses the race for the next version
// goes back to a savepoint and reads the stream's end again; a lone append is retried whole by the store. Resolves
// with undefined when the version was taken and no retry is possible here.
async function insertStream(
  target: AppendTarget,
  values: unknown[],
): Promise<{ xid: string; stream_version: number }[] | undefined> {
  const { savepoint } = target;
  const retry = values[3] === -1 && savepoint !== undefined;
  for (let attempt = 1; ; attempt++) {
    if (retry) await savepoint('SAVEPOINT twofold_append');
    try {
      const result = await target.run(target.statement, values);
      if (retry) await savepoint('RELEASE SAVEPOINT twofold_append');
      return result.rows as { xid: string; stream_version: number }[];
    } catch (error) {
      if (!isStreamVersionTaken(error)) throw error;
      if (!retry || attempt >= 20) return undefined;
      await savepoint('ROLLBACK TO SAVEPOINT twofold_append');
    }
  }
}

// A unique violation on (stream_id, stream_version): another commit wrote that version of the stream first.
function isStreamVersionTaken(error: unknown): boolean {
  const failure = error as { code?: unknown; constraint?: unknown };
  return failure?.code === '23505' && failure.constraint === 'twofold_events_stream_id_stream_version_key';
}
