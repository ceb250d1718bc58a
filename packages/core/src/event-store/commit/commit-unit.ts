import { ConcurrencyConflictError } from '../../errors/errors.js';
import type { GlobalPosition } from '../../positions/position.js';
import { callback, type Protocol } from '../../protocol/run.js';
import type { Committed, UnitOfWork } from '../ports.js';
import { type RecordedEvent, versionMatches } from '../records.js';
import type { CommitDialect } from './commit-dialect.js';

/**
 * One unit of work inside its transaction `tx`, checked whole before anything is written: every stream's expected
 * version, every state's, and the idempotency key, after the participants' `before` steps. The first mismatch fails
 * with CONCURRENCY_CONFLICT and writes nothing. Then the events (positions after the head, in order), the states, the idempotency record, and last the
 * participants, with `tx` and the recorded events. Call it with the units' arguments already checked
 * (`checkExpectedVersion`, `checkNewEvents`).
 *
 * @example
 * const committed = db.transaction(() => runSync(commitUnit(dialect, db, unit)))();
 */
export function* commitUnit<Tx>(dialect: CommitDialect<Tx>, tx: Tx, unit: UnitOfWork<Tx>): Protocol<Committed> {
  const appends = unit.appends ?? [];
  const states = unit.states ?? [];
  const participants = unit.participants ?? [];
  const appending = appends.flatMap((append) => append.events);
  for (let index = 0; index < participants.length; index++) {
    const before = participants[index]!.before;
    if (before !== undefined) yield callback(before(tx, appending), `Unit-of-work participant #${index + 1}`);
  }
  // Check everything first: a conflict is reported before anything is written.
  const stored = new Map<string, number>();
  for (const { streamId, expectedVersion } of appends) {
    let actual = stored.get(streamId);
    if (actual === undefined) {
      actual = yield dialect.streamVersion(tx, streamId);
      stored.set(streamId, actual!);
    }
    if (!versionMatches(expectedVersion, actual!)) {
      throw new ConcurrencyConflictError(`Stream ${streamId}`, expectedVersion, actual!);
    }
  }
  for (const { collection, id, expectedVersion } of states) {
    const actual: number = yield dialect.stateVersion(tx, collection, id);
    if (actual !== expectedVersion) {
      throw new ConcurrencyConflictError(`State ${collection}/${id}`, expectedVersion, actual);
    }
  }
  if (unit.idempotency !== undefined && (yield dialect.idempotencyUsed(tx, unit.idempotency.key))) {
    throw new ConcurrencyConflictError(`Idempotency key ${unit.idempotency.key}`, 'unused', 1);
  }

  const recorded: RecordedEvent[] = [];
  const versions = new Map<string, number>();
  const timestamp = Date.now();
  if (appends.length > 0) {
    let position: number = yield dialect.head(tx);
    for (const { streamId, events } of appends) {
      let streamVersion = versions.get(streamId) ?? stored.get(streamId)!;
      for (const event of events) {
        const place = { streamId, streamVersion: ++streamVersion, position: ++position, timestamp };
        recorded.push(yield dialect.insertEvent(tx, event, place));
      }
      versions.set(streamId, streamVersion);
    }
  }
  for (const { collection, id, expectedVersion, state } of states) {
    yield dialect.saveState(tx, { collection, id, version: expectedVersion + 1, state });
    versions.set(`${collection}/${id}`, expectedVersion + 1);
  }
  const last = recorded.at(-1)?.position;
  if (unit.idempotency !== undefined) {
    yield dialect.saveIdempotency(tx, { ...unit.idempotency, position: last, at: timestamp });
  }
  for (let index = 0; index < participants.length; index++) {
    yield callback(participants[index]!(tx, recorded), `Unit-of-work participant #${index + 1}`);
  }
  return { events: recorded, position: last as GlobalPosition | undefined, versions };
}
