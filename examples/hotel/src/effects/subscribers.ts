import { type MessageOf, subscriber } from '@twofold/core';
import { BookingCancelled, BookingConfirmed, HoldExpired, RoomBooked } from '../messages/events.js';
import type { EffectStore } from './effect-store.js';

const money = (amount: number) => `€${amount.toFixed(2)}`;

type Stay = Pick<MessageOf<typeof RoomBooked>['data'], 'bookingId' | 'guestId' | 'roomId' | 'from' | 'to' | 'total'>;

/** Billing: a cancelled booking is refunded what the calendar decided, once. */
export function refunds(effects: EffectStore) {
  return subscriber('billing.refunds').on(BookingCancelled, async ({ bookingId, guestId, refund }, { event }) => {
    const refundId = `refund-${bookingId}`;
    await effects.put('refunds', refundId, { refundId, bookingId, guestId, amount: refund, at: event.timestamp });
  });
}

/**
 * Guest mail, written to the outbox: a confirmation for each booking when it is confirmed (at once for one booked
 * before holds were added), a notice for each hold that expired, and one for each cancellation.
 */
export function guestMail(effects: EffectStore) {
  const confirmation = async (
    { bookingId, guestId, roomId, from, to, total }: Stay,
    event: { readonly id: string; readonly timestamp: number },
  ) =>
    effects.put('mails', `mail-${event.id}`, {
      mailId: `mail-${event.id}`,
      bookingId,
      to: guestId,
      subject: `Room ${roomId} from ${from} to ${to}: confirmed`,
      body: `Dear ${guestId}, room ${roomId} is yours from ${from} to ${to}. Total: ${money(total)}.`,
      at: event.timestamp,
    });
  return subscriber('mail.guests')
    .on(RoomBooked, async (booked, { event }) => {
      if (booked.heldUntil === undefined) await confirmation(booked, event);
    })
    .on(BookingConfirmed, async (confirmed, { event }) => confirmation(confirmed, event))
    .on(HoldExpired, async ({ bookingId, guestId, roomId, from, to }, { event }) => {
      await effects.put('mails', `mail-${event.id}`, {
        mailId: `mail-${event.id}`,
        bookingId,
        to: guestId,
        subject: `Room ${roomId} from ${from} to ${to}: hold expired`,
        body: `Dear ${guestId}, your booking of room ${roomId} from ${from} to ${to} was not confirmed in time: the nights are free again.`,
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
