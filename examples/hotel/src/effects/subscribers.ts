import { type MessageOf, subscriber } from '@twofold/core';
import { BookingConfirmed, HoldExpired, RoomBooked } from '../messages/events.js';
import type { EffectStore } from './effect-store.js';

/** An amount as the hotel's mail and alerts write it. */
export const money = (amount: number) => `€${amount.toFixed(2)}`;

type Stay = Pick<MessageOf<typeof RoomBooked>['data'], 'bookingId' | 'guestId' | 'roomId' | 'from' | 'to' | 'total'>;

/**
 * Guest mail, written to the outbox: a confirmation for each booking when it is confirmed (at once for one booked
 * before holds were added) and a notice for each hold that expired. The notice of a cancellation is a step of the
 * cancellation's process (see `src/cancellation/`).
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
    });
}
