import type { IdempotencyRecord } from '../event-store/ports.js';
import type { GlobalPosition } from '../positions/position.js';
import { fromJson } from './rows.js';

/** A state or a snapshot as the SQL adapters store it: its version, and the value as JSON text. */
export interface VersionedRow {
  readonly version: number;
  readonly state: string | null;
}

/** A state or snapshot and its version, as the write stores give them. */
export interface Versioned {
  readonly state: unknown;
  readonly version: number;
}

/** The state a row holds; corrupt JSON fails with CORRUPT_DATA naming `collection/id`. */
export function stateFromRow(row: VersionedRow | undefined, collection: string, id: string): Versioned | undefined {
  if (row === undefined) return undefined;
  return { state: fromJson(row.state, () => `The state ${collection}/${id}`), version: row.version };
}

/** The snapshot a row holds; corrupt JSON fails with CORRUPT_DATA naming the snapshot and its stream. */
export function snapshotFromRow(row: VersionedRow | undefined, name: string, streamId: string): Versioned | undefined {
  if (row === undefined) return undefined;
  return { state: fromJson(row.state, () => `The ${name} snapshot of stream ${streamId}`), version: row.version };
}

/**
 * An idempotency record as the SQL adapters store it; `command_type` and `fingerprint` are null in rows stored
 * before the stores kept them, and the position may come back as text (a PostgreSQL bigint).
 */
export interface IdempotencyRow {
  readonly command_type: string | null;
  readonly fingerprint: string | null;
  readonly result: string | null;
  readonly position: number | string | null;
}

/** The idempotency record a row holds; a corrupt result fails with CORRUPT_DATA naming the key. */
export function idempotencyFromRow(key: string, row: IdempotencyRow | undefined): IdempotencyRecord | undefined {
  if (row === undefined) return undefined;
  return {
    key,
    commandType: row.command_type ?? undefined,
    fingerprint: row.fingerprint ?? undefined,
    result: fromJson(row.result, () => `The idempotency record ${key}`),
    position: (row.position === null ? undefined : Number(row.position)) as GlobalPosition | undefined,
  };
}
