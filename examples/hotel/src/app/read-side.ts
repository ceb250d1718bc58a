import {
  type Logger,
  type PositionTracker,
  type ProcessManagerRunner,
  ProjectionRunner,
  ReadSide,
  type Subscriber,
  SubscriberRunner,
} from '@twofold/core';
import { cancellations } from '../cancellation/progress.js';
import { guestMail } from '../effects/subscribers.js';
import { availability } from '../read-models/availability.js';
import { ARRIVAL, bookings } from '../read-models/bookings.js';
import type { Stores } from './stores.js';

/** The asynchronous side, and how far each part of it has got, for the queries' `reads`. */
export interface HotelReadSide {
  readonly readSide: ReadSide;
  readonly progress: {
    readonly availability: PositionTracker;
    readonly bookings: PositionTracker;
    readonly cancellations: PositionTracker;
    readonly mail: PositionTracker;
  };
}

/**
 * Asynchronous projections into the read store (a cancellation's progress among them), the booking
 * confirmation mail, a side effect with a checkpoint of its own, and the given process managers, so that the read
 * side starts, stops and reports them all. Their failures are logged in full to `logger` (default: Twofold's JSON
 * lines on stderr).
 */
export async function createReadSide(
  stores: Stores,
  options: { readonly logger?: Logger | undefined; readonly processManagers?: readonly ProcessManagerRunner[] } = {},
): Promise<HotelReadSide> {
  const { logger } = options;
  const logging = logger === undefined ? {} : { logger };
  const { reads, bookingViews, writes } = stores;
  await reads.index?.(availability, 'nights', ['date']);
  await reads.index?.(availability, 'nights', ['bookingId']);
  await bookingViews.index?.(bookings, 'bookings', { fields: ['guestId'], orderBy: ARRIVAL.field });
  const availabilityRunner = new ProjectionRunner({ projection: availability, store: reads, feed: writes, ...logging });
  const bookingsRunner = new ProjectionRunner({ projection: bookings, store: bookingViews, feed: writes, ...logging });
  const cancellationsRunner = new ProjectionRunner({
    projection: cancellations,
    store: reads,
    feed: writes,
    ...logging,
  });

  const effect = (subscriber: Subscriber) =>
    new SubscriberRunner({
      subscriber,
      feed: writes,
      checkpoints: stores.checkpoints,
      deadLetters: stores.deadLetters,
      ...logging,
    });
  const mailRunner = effect(guestMail(stores.effects));
  return {
    readSide: new ReadSide({
      projections: [availabilityRunner, bookingsRunner, cancellationsRunner],
      subscribers: [mailRunner],
      processManagers: options.processManagers ?? [],
    }),
    progress: {
      availability: availabilityRunner.progress,
      bookings: bookingsRunner.progress,
      cancellations: cancellationsRunner.progress,
      mail: mailRunner.progress,
    },
  };
}
