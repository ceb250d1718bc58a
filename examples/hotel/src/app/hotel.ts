import { createMediator, type Logger, type Mediator, type ReadSide } from '@twofold/core';
import { hotelPermissions } from '../identity/permissions.js';
import { bookingLocator, guestOf } from '../read-models/booking-locator.js';
import { registerQueries } from './queries.js';
import { createReadSide } from './read-side.js';
import type { Stores } from './stores.js';
import { registerCommands } from './write-side.js';

export interface HotelOptions {
  /** The clock that says which day it is. Default: Date.now. */
  readonly clock?: () => number;
  /** The longest a query waits for its read models to catch up with the caller's writes. Default: 5 s. */
  readonly consistencyTimeout?: number;
  /** Where the projections and subscribers log their failures in full. Default: JSON lines on stderr. */
  readonly readSideLogger?: Logger;
}

/** The hotel: its mediator (every command and query), and the read side that runs beside it. */
export interface Hotel {
  readonly mediator: Mediator;
  readonly readSide: ReadSide;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Wires the hotel's write models, read models and side effects onto the stores, behind its permissions: every
 * command and query needs a principal with a role that allows it (see `hotelPermissions`), in-process calls too.
 */
export async function createHotel(stores: Stores, options: HotelOptions = {}): Promise<Hotel> {
  const mediator = await createCommandSide(stores, options);
  const read = await createReadSide(stores, options.readSideLogger);
  registerQueries(mediator, stores, read);
  return {
    mediator,
    readSide: read.readSide,
    start: () => read.readSide.start(),
    stop: () => read.readSide.stop(),
  };
}

/**
 * The hotel's mediator with its permissions and command handlers only: what a worker process needs to run queued
 * commands (`npm run worker`), without the read side.
 */
export async function createCommandSide(stores: Stores, options: HotelOptions = {}): Promise<Mediator> {
  const mediator = createMediator({ consistencyTimeout: options.consistencyTimeout ?? 5000 });
  // The locator is inline, so a guest's booking is theirs from the moment it is committed.
  mediator.use(hotelPermissions((bookingId) => guestOf(stores.inline.documents.read(bookingLocator), bookingId)));
  await registerCommands(mediator, stores, options.clock ?? Date.now);
  return mediator;
}
