import { createMediator, type Logger, type Mediator, type ProcessManagerRunner, type ReadSide } from '@twofold/core';
import { holdTime } from '../holds/hold-time.js';
import { hotelPermissions } from '../identity/permissions.js';
import { bookingLocator, guestOf } from '../read-models/booking-locator.js';
import { processManagers } from './process-managers.js';
import { registerQueries } from './queries.js';
import { createReadSide } from './read-side.js';
import type { Stores } from './stores.js';
import { registerCommands } from './write-side.js';

export interface HotelOptions {
  /** The clock that says which day it is, and when holds end. Default: Date.now. */
  readonly clock?: () => number;
  /** How long a booking is held for its guest to confirm it, in ms. Default: 15 minutes. */
  readonly holdMs?: number;
  /** The longest a query waits for its read models to catch up with the caller's writes. Default: 5 s. */
  readonly consistencyTimeout?: number;
  /** Where the projections, subscribers and process managers log their failures in full. Default: JSON lines on stderr. */
  readonly readSideLogger?: Logger;
}

/** The hotel: its mediator (every command and query), and the read side with the process managers in it. */
export interface Hotel {
  readonly mediator: Mediator;
  readonly readSide: ReadSide;
  /** The process managers (the holds' expiry, the cancellation), started, stopped and reported by `readSide`. */
  readonly processManagers: readonly ProcessManagerRunner[];
  start(): void;
  stop(): Promise<void>;
}

/**
 * Wires the hotel's write models, read models, side effects and process managers onto the stores, behind its
 * permissions: every command and query needs a principal with a role that allows it (see `hotelPermissions`),
 * in-process calls too. `start()` starts the read side and the process managers, `stop()` stops them.
 */
export async function createHotel(stores: Stores, options: HotelOptions = {}): Promise<Hotel> {
  const mediator = await createCommandSide(stores, options);
  const runners = processManagers(stores, { clock: options.clock, logger: options.readSideLogger });
  const read = await createReadSide(stores, { logger: options.readSideLogger, processManagers: runners });
  registerQueries(mediator, stores, read);
  return {
    mediator,
    readSide: read.readSide,
    processManagers: runners,
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
  await registerCommands(mediator, stores, { clock: options.clock ?? Date.now, holdMs: holdTime(options.holdMs) });
  return mediator;
}
