import { type Committed, ConcurrencyConflictError, type UnitOfWork } from '@twofold/core';
import { toJson } from '@twofold/core/adapters';
import { type PostgresClient, prepared } from '../connection/schema-pool.js';
import { appendEvents } from './append.js';

/**
 * Writes a whole unit of work on `tx`, inside its transaction: the participants' `before` steps, the appends (one
 * statement per stream), the states (each checked against its expected version), the idempotency record, then the
 * participants, which get the transaction's client and the recorded events. Any conflict throws, and the caller's
 * rollback writes nothing. The first append gives the transaction its id, which holds readers back until it ends:
 * a commit that waits its turn in a `before` step holds none yet.
 */
export async function writeUnitOfWork(
  tx: PostgresClient,
  unit: UnitOfWork<PostgresClient>,
  append: { readonly base: number; readonly statement: string },
): Promise<Committed> {
  const participants = unit.participants ?? [];
  const appending = (unit.appends ?? []).flatMap((append) => append.events);
  for (let index = 0; index < participants.length; index++) {
    await numbered(index, () => participants[index]!.before?.(tx, appending));
  }
  const { events: recorded, versions: appended } = await appendEvents(unit.appends ?? [], {
    ...append,
    run: (text, values) => tx.query(prepared(text, values)),
    savepoint: (sql) => tx.query(sql),
  });
  const versions = new Map(appended);
  const timestamp = Date.now();
  // In one order, like the streams, so that two commits over the same states wait for each other, not deadlock.
  const states = [...(unit.states ?? [])].sort((a, b) =>
    a.collection === b.collection ? compare(a.id, b.id) : compare(a.collection, b.collection),
  );
  for (const { collection, id, expectedVersion, state } of states) {
    const json = toJson(state);
    const { rowCount } =
      expectedVersion === 0
        ? await tx.query(
            'INSERT INTO twofold_states (collection, id, version, state) VALUES ($1, $2, 1, $3) ON CONFLICT DO NOTHING',
            [collection, id, json],
          )
        : await tx.query(
            'UPDATE twofold_states SET version = version + 1, state = $4 WHERE collection = $1 AND id = $2 AND version = $3',
            [collection, id, expectedVersion, json],
          );
    if (rowCount !== 1) {
      const { rows: found } = await tx.query<{ version: number }>(
        'SELECT version FROM twofold_states WHERE collection = $1 AND id = $2',
        [collection, id],
      );
      throw new ConcurrencyConflictError(`State ${collection}/${id}`, expectedVersion, found[0]?.version ?? 0);
    }
    versions.set(`${collection}/${id}`, expectedVersion + 1);
  }
  const last = recorded.at(-1)?.position;
  if (unit.idempotency !== undefined) {
    const { key, commandType, fingerprint, result } = unit.idempotency;
    const { rowCount } = await tx.query(
      `INSERT INTO twofold_idempotency (key, command_type, fingerprint, result, position, at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [key, commandType, fingerprint, toJson(result), last ?? null, timestamp],
    );
    if (rowCount !== 1) throw new ConcurrencyConflictError(`Idempotency key ${key}`, 'unused', 1);
  }
  for (let index = 0; index < participants.length; index++) {
    await numbered(index, () => participants[index]!(tx, recorded));
  }
  return { events: recorded, position: last, versions };
}

// Runs a step of the participant at `index`, its failure's message naming the participant.
async function numbered(index: number, step: () => void | Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof Error) error.message = `Unit-of-work participant #${index + 1}: ${error.message}`;
    throw error;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
