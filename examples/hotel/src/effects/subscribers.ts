import { subscriber } from '@twofold/core';
import { BookingCancelled, RoomBooked } from '../messages/events.js';
import type { EffectStore } from './effect-store.js';

const money = (amount: number) => `€${amount.toFixed(2)}`;

/** Billing: a cancelled booking is refunded what the calendar decided, once. */
export function refunds(effects: EffectStore) {
  return subscriber('billing.refunds').on(BookingCancelled, async ({ bookingId, guestId, refund }, { event }) => {
    const refundId = `refund-${bookingId}`;
    await effects.put('refunds', refundId, { refundId, bookingId, guestId, amount: refund, at: event.timestamp });
  });
}

/** Guest mail: a confirmation for each booking and a notice for each cancellation, written to the outbox. */
export function guestMail(effects: EffectStore) {
  return subscriber('mail.guests')
    .on(RoomBooked, async ({ bookingId, guestId, roomId, from, to, total }, { event }) => {
      await effects.put('mails', `mail-${event.id}`, {
        mailId: `mail-${event.id}`,
        bookingId,
        to: guestId,
        subject: `Room ${roomId} from ${from} to ${to}: confirmed`,
        body: `Dear ${guestId}, room ${roomId} is yours from ${from} to ${to}. Total: ${money(total)}.`,
        at: event.timestamp,
      });
    })
    .on(BookingCancelled, async ({ bookingId, guestId, roomId, from, to, refund }, { event }) => {
      await effects.put('mails', `mail-${event.id}`, {
        mailId: `mail-${event.id}`,
        bookingId,
        to: guestId,
        subject: `Room ${roomId} from ${from} to ${to}: cancelled`,
        body: `Dear ${guestId}, your stay in room ${roomId} from ${from} to ${to} is cancelled. We refund ${money(refund)}.`,
        at: event.timestamp,
      });
    });
}

/** Management hears of every cancellation. */
export function managementAlerts(effects: EffectStore) {
  return subscriber('alerts.management').on(
    BookingCancelled,
    async ({ bookingId, guestId, roomId, from, to, reason, refund }, { event }) => {
      const alertId = `alert-${event.id}`;
      const why = reason === '' ? 'no reason given' : `reason: ${reason}`;
      await effects.put('alerts', alertId, {
        alertId,
        bookingId,
        message: `${guestId} cancelled room ${roomId} from ${from} to ${to} (${why}); refund ${money(refund)}`,
        at: event.timestamp,
      });
    },
  );
}
