import { CorruptDataError, InvalidArgumentError } from '../errors/errors.js';
import type { RecordedEvent } from './records.js';

/**
 * Turns the data of an event stored at `fromVersion` of its type into the data of version `fromVersion + 1`.
 * Upcasters run on read, so old events never need rewriting.
 */
export interface Upcaster {
  /** The event type it applies to. */
  readonly type: string;
  /** The schema version of the data it takes. */
  readonly fromVersion: number;
  /** The data at `fromVersion + 1`; `event` is the stored event, for its metadata or stream. Throwing makes the read fail with CORRUPT_DATA. */
  upcast(data: unknown, event: RecordedEvent): unknown;
}

/**
 * Declares how version `fromVersion` of an event type becomes the next version.
 *
 * @example
 * // RoomBooked v1 had `nights`; v2 has `from` and `to`.
 * const roomBookedV1 = upcaster('hotel.RoomBooked', 1, (data: { from: string; nights: number }) => ({
 *   from: data.from, to: addDays(data.from, data.nights),
 * }));
 * const { events: store } = sqlite({ path: 'data/hotel.db', upcasters: [roomBookedV1] });
 */
export function upcaster<From, To>(
  type: string,
  fromVersion: number,
  upcast: (data: From, event: RecordedEvent) => To,
): Upcaster {
  if (typeof type !== 'string' || type.length === 0)
    throw new InvalidArgumentError('upcaster(): the event type must be a non-empty string');
  if (!Number.isSafeInteger(fromVersion) || fromVersion < 1) {
    throw new InvalidArgumentError(
      `upcaster('${type}'): fromVersion must be an integer >= 1; got ${String(fromVersion)}`,
    );
  }
  if (typeof upcast !== 'function')
    throw new InvalidArgumentError(`upcaster('${type}', ${fromVersion}): upcast must be a function`);
  return { type, fromVersion, upcast: upcast as Upcaster['upcast'] };
}

/** Applies registered upcasters to events read from a store, one version step at a time. */
export class Upcasters {
  readonly #byKey = new Map<string, Upcaster>();
  readonly #types = new Set<string>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const u of upcasters) {
      if (typeof u?.upcast !== 'function')
        throw new InvalidArgumentError('upcasters: each entry must come from upcaster()');
      const key = `${u.type}@${u.fromVersion}`;
      if (this.#byKey.has(key)) throw new InvalidArgumentError(`Two upcasters for ${u.type} version ${u.fromVersion}`);
      this.#byKey.set(key, u);
      this.#types.add(u.type);
    }
  }

  /** The event at its newest known version (the same object when nothing applies). */
  apply<E extends RecordedEvent>(event: E): E {
    if (!this.#types.has(event.type)) return event;
    let current: E = event;
    for (;;) {
      const next = this.#byKey.get(`${current.type}@${current.schemaVersion}`);
      if (next === undefined) return current;
      try {
        current = { ...current, data: next.upcast(current.data, current), schemaVersion: current.schemaVersion + 1 };
      } catch (error) {
        throw new CorruptDataError(
          `Upcasting ${event.type} v${current.schemaVersion} failed for the event at position ${event.position} of stream ${event.streamId}`,
          { cause: error },
        );
      }
    }
  }
}
