import {
  type Logger,
  type PositionTracker,
  ProjectionRunner,
  ReadSide,
  type Subscriber,
  SubscriberRunner,
} from '@twofold/core';
import { guestMail, managementAlerts, refunds } from '../effects/subscribers.js';
import { availability } from '../read-models/availability.js';
import { ARRIVAL, bookings } from '../read-models/bookings.js';
import type { Stores } from './stores.js';

/** The asynchronous side, and how far each part of it has got, for the queries' `reads`. */
export interface HotelReadSide {
  readonly readSide: ReadSide;
  readonly progress: {
    readonly availability: PositionTracker;
    readonly bookings: PositionTracker;
    readonly refunds: PositionTracker;
    readonly mail: PositionTracker;
    readonly alerts: PositionTracker;
  };
}

/**
 * Asynchronous projections into the read store, and side effects with checkpoints of their own. Their failures
 * are logged in full to `logger` (default: Twofold's JSON lines on stderr).
 */
export async function createReadSide(stores: Stores, logger?: Logger): Promise<HotelReadSide> {
  const logging = logger === undefined ? {} : { logger };
  const { reads, bookingViews, writes } = stores;
  await reads.index?.(availability, 'nights', ['date']);
  await reads.index?.(availability, 'nights', ['bookingId']);
  await bookingViews.index?.(bookings, 'bookings', { fields: ['guestId'], orderBy: ARRIVAL.field });
  const availabilityRunner = new ProjectionRunner({ projection: availability, store: reads, feed: writes, ...logging });
  const bookingsRunner = new ProjectionRunner({ projection: bookings, store: bookingViews, feed: writes, ...logging });

  const effect = (subscriber: Subscriber) =>
    new SubscriberRunner({
      subscriber,
      feed: writes,
      checkpoints: stores.checkpoints,
      deadLetters: stores.deadLetters,
      ...logging,
    });
  const subscribers = [
    effect(refunds(stores.effects)),
    effect(guestMail(stores.effects)),
    effect(managementAlerts(stores.effects)),
  ] as const;
  const [refundsRunner, mailRunner, alertsRunner] = subscribers;
  return {
    readSide: new ReadSide({ projections: [availabilityRunner, bookingsRunner], subscribers }),
    progress: {
      availability: availabilityRunner.progress,
      bookings: bookingsRunner.progress,
      refunds: refundsRunner.progress,
      mail: mailRunner.progress,
      alerts: alertsRunner.progress,
    },
  };
}
