import type { ReadModelProgress } from '../consistency/read-model-progress.js';
import { InvalidArgumentError } from '../errors/errors.js';
import type { Participant } from '../event-store/ports.js';
import type { RecordedEvent } from '../event-store/records.js';
import type { InlineProjectionStore } from './ports.js';
import type { Projection } from './projection.js';

/** A projection applied in the command's own transaction: see {@link inlineProjection}. */
export interface InlineProjection<WriteTx> {
  readonly name: string;
  /** Add it to `writeModels({ participants })`: it applies each commit's events within the commit. */
  readonly participant: Participant<WriteTx>;
  /** For a query's `reads`: an inline read model is never behind, so a query never waits for it. */
  readonly progress: ReadModelProgress;
}

/**
 * Applies a projection inline: in the same transaction as the command's events, so its read model is consistent
 * the moment the command returns. It needs a read store on the write store's database handle: its documents'
 * `inline` view, whose handlers get an `InlineDocumentTx` on SQLite and in memory (their transaction is
 * synchronous) and a `DocumentTx` on PostgreSQL. Build it once at start with a `ProjectionRunner`'s `catchUp()` on
 * the same view (which also activates it), then register the participant, so that events written before it
 * existed are applied too.
 *
 * Commits whose events it handles apply it one at a time, each seeing what the ones before wrote (on PostgreSQL
 * they take turns on its slot from before they write their events until they end), so a handler may refuse what an
 * earlier commit recorded. A commit with none of its events leaves its slot and checkpoint alone, and waits for
 * nobody.
 *
 * @example
 * const bookingsView = inlineProjection(bookings, db.documents.inline);
 * await new ProjectionRunner({ projection: bookings, store: db.documents.inline, feed: db.events }).catchUp();
 * const models = writeModels({ store: db.events, participants: [bookingsView.participant] });
 * mediator.query(MyBookings, handler, { reads: [bookingsView.progress] });
 */
export function inlineProjection<WriteTx, Tx>(
  projection: Projection<Tx>,
  store: InlineProjectionStore<WriteTx, Tx>,
): InlineProjection<WriteTx> {
  if (typeof projection?.apply !== 'function') {
    throw new InvalidArgumentError('inlineProjection(): the first argument must be a projection from projection()');
  }
  if (typeof store?.applyWithin !== 'function') {
    throw new InvalidArgumentError(
      `inlineProjection('${projection.name}'): the store cannot apply inline (it needs applyWithin, e.g. a read store in the write database)`,
    );
  }
  const slot = { projection: projection.name, version: projection.version };
  const handles = (event: { readonly type: string }) => projection.eventTypes.has(event.type);
  // A commit with nothing for the projection leaves its slot alone: on PostgreSQL, commits that change the read
  // model take turns on the slot until they end, and one that does not would wait its turn for nothing.
  // Synchronous stores (SQLite, memory) refuse a handler that returns a promise; PostgreSQL awaits it.
  const apply = (tx: WriteTx, events: readonly RecordedEvent[]) =>
    events.some(handles)
      ? store.applyWithin(tx, slot, events, (event, readTx) =>
          handles(event) ? projection.apply(event, readTx) : undefined,
        )
      : undefined;
  // The turn is taken before the commit's events are written: on PostgreSQL writing them gives the commit the
  // transaction id that every reader waits for, and it would hold them back for as long as it waited its turn.
  const takeTurn = store.takeTurn?.bind(store);
  const participant: Participant<WriteTx> =
    takeTurn === undefined
      ? apply
      : Object.assign(apply, {
          before: (tx: WriteTx, events: readonly { readonly type: string }[]) =>
            events.some(handles) ? takeTurn(tx, slot) : undefined,
        });
  return { name: projection.name, participant, progress: { name: projection.name, waitFor: () => Promise.resolve() } };
}
