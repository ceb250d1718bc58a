import { InvalidArgumentError } from '../errors/errors.js';
import type { RecordedEvent } from '../event-store/records.js';
import type { EventDefinition, PayloadOf } from '../messages/define.js';
import { checkName, HandlerTable } from '../messages/handler-table.js';

/** Applies one event to the read model, inside the read store's transaction `tx`. */
export type ProjectionHandler<D, Tx> = (data: D, tx: Tx, event: RecordedEvent<string, D>) => void | Promise<void>;

/**
 * A projection: how a set of event types changes one read model. `Tx` is what the read store hands each
 * handler inside its transaction (a SQLite connection, a document collection, a Redis pipeline…).
 * Create one with {@link projection}.
 */
export interface Projection<Tx = unknown> {
  /** Unique name; the checkpoint and the read model's storage are keyed by it. */
  readonly name: string;
  /** Bump it when `apply` changes meaning: a rebuild then replays every event into a fresh read model. */
  readonly version: number;
  /** The event types the projection handles; other events only move its checkpoint. */
  readonly eventTypes: ReadonlySet<string>;
  /**
   * Applies one event inside the read store's transaction. Event data is not validated again here: it was
   * validated when it was written, and re-validating a million events would cost a tenth of a catch-up.
   */
  apply(event: RecordedEvent, tx: Tx): void | Promise<void>;
}

/** Builds a {@link Projection} one event type at a time; each handler's data is typed by its event's schema. */
export interface ProjectionBuilder<Tx> extends Projection<Tx> {
  /** Adds the handler of one event type; a second handler for the same type is refused (INVALID_ARGUMENT). */
  on<D extends EventDefinition>(event: D, handler: ProjectionHandler<PayloadOf<D>, Tx>): ProjectionBuilder<Tx>;
}

/**
 * Defines a projection: a name, a version, and one handler per event type it reads.
 *
 * @example
 * const roomAvailability = projection<SqliteConnection>('roomAvailability', 1)
 *   .on(RoomBooked, ({ roomId, from, to }, db) => db.prepare('insert into booked_nights ...').run(roomId, from, to))
 *   .on(BookingCancelled, ({ bookingId }, db) => db.prepare('delete from booked_nights where booking_id = ?').run(bookingId));
 */
export function projection<Tx = unknown>(name: string, version = 1): ProjectionBuilder<Tx> {
  checkName(name, 'projection()');
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InvalidArgumentError(
      `projection('${name}'): the version must be an integer >= 1; got ${String(version)}`,
    );
  }
  const table = new HandlerTable<ProjectionHandler<unknown, Tx>>(`projection('${name}')`);
  const builder: ProjectionBuilder<Tx> = {
    name,
    version,
    eventTypes: table.eventTypes,
    on(definition, handler) {
      table.add(definition, handler as ProjectionHandler<unknown, Tx>);
      return builder;
    },
    apply(event, tx) {
      return table.get(event.type)?.(event.data, tx, event);
    },
  };
  return builder;
}
