import { CorruptDataError } from '../errors/errors.js';
import { globalPosition } from '../positions/position.js';
import type { NewCommandRow } from './queue-dialect.js';
import type { ClaimedCommand, CommandStatus, NewQueuedCommand, QueuedCommand, QueuedEnvelope } from './records.js';

/**
 * A queued command as the SQL adapters store it: JSON as text, times as integers (a driver may hand a 64-bit
 * integer back as text or bigint; the queue protocol reads back either).
 */
export interface QueuedCommandRow {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly envelope: string;
  readonly key: string | null;
  readonly priority: number | string;
  readonly run_at: number | string | bigint;
  readonly enqueued_at: number | string | bigint;
  readonly status: string;
  readonly attempts: number | string;
  readonly result: string | null;
  readonly position: number | string | bigint | null;
  readonly problem: string | null;
  readonly updated_at: number | string | bigint;
  readonly lease?: string | null;
  readonly lease_until?: number | string | bigint | null;
}

/** The columns of a {@link QueuedCommandRow}, for SELECT and RETURNING lists. */
export const QUEUED_COMMAND_COLUMNS =
  'id, type, data, envelope, key, priority, run_at, enqueued_at, status, attempts, result, position, problem, updated_at, lease, lease_until';

const STATUSES: ReadonlySet<string> = new Set(['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled']);

/** A new command's row, JSON as text. */
export function newCommandRow(command: NewQueuedCommand): NewCommandRow {
  return {
    id: command.id,
    type: command.type,
    data: JSON.stringify(command.data),
    envelope: JSON.stringify(command.envelope),
    key: command.key ?? null,
    priority: command.priority,
    runAt: command.runAt,
    enqueuedAt: command.enqueuedAt,
  };
}

/** The JSON text of a success's result, NULL for undefined. */
export function resultJson(result: unknown): string | null {
  return result === undefined ? null : JSON.stringify(result);
}

function fromJson(text: string | null, where: () => string): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CorruptDataError(`${where()} holds corrupt JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** A stored command from its row; a corrupt row fails with CORRUPT_DATA naming the command. */
export function queuedCommandFromRow(row: QueuedCommandRow): QueuedCommand {
  const where = () => `Queued command ${row.id}`;
  if (!STATUSES.has(row.status)) throw new CorruptDataError(`${where()} has the unknown status '${row.status}'`);
  const envelope = fromJson(row.envelope, where) as QueuedEnvelope;
  return {
    id: row.id,
    type: row.type,
    data: fromJson(row.data, where),
    envelope: {
      correlationId: envelope.correlationId,
      causationId: envelope.causationId ?? undefined,
      principal: envelope.principal ?? undefined,
      tenant: envelope.tenant ?? undefined,
      metadata: envelope.metadata ?? {},
      idempotencyKey: envelope.idempotencyKey ?? undefined,
    },
    key: row.key ?? undefined,
    priority: Number(row.priority),
    runAt: Number(row.run_at),
    enqueuedAt: Number(row.enqueued_at),
    status: row.status as CommandStatus,
    attempts: Number(row.attempts),
    result: fromJson(row.result, where),
    position: row.position === null ? undefined : globalPosition(Number(row.position)),
    problem: (fromJson(row.problem, where) as QueuedCommand['problem']) ?? undefined,
    updatedAt: Number(row.updated_at),
  };
}

/** A claimed command from its row, with its lease. */
export function claimedCommandFromRow(row: QueuedCommandRow): ClaimedCommand {
  return {
    ...queuedCommandFromRow(row),
    status: 'running',
    lease: String(row.lease),
    leaseUntil: Number(row.lease_until),
  };
}

/** Sorts claimed commands into claim order: highest priority, then earliest `runAt`, then enqueue order. */
export function inClaimOrder<C extends { readonly priority: number; readonly runAt: number }>(
  commands: readonly (C & { readonly seq: number })[],
): C[] {
  return [...commands].sort((a, b) => b.priority - a.priority || a.runAt - b.runAt || a.seq - b.seq);
}
