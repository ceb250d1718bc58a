import type { Mediator, WriteModels } from '@twofold/core';
import type { Stores } from '../app/stores.js';
import { money } from '../effects/subscribers.js';
import { cancellation, cancellationStream } from './cancellation.js';
import { AlertManagement, effectIds, MailGuest, RecordRefund, RequestRefund } from './messages.js';

/**
 * Registers the steps of a cancellation. Mailing the guest, alerting management and recording billing's refund
 * each write their record under the booking's fixed id (writing it again changes nothing), then record the step
 * in the booking's cancellation stream, once: a step run twice leaves one record and one event. A mail or alert
 * carries the time its step ran.
 */
export function registerCancellation(mediator: Mediator, models: WriteModels, stores: Stores): Mediator {
  const step = models.eventSourced(cancellation, { stream: cancellationStream });
  const { effects } = stores;
  return mediator
    .command(RequestRefund, step)
    .command(MailGuest, async (data, ctx) => {
      const { bookingId, guestId, roomId, from, to, refund } = data;
      const { mailId } = effectIds(bookingId);
      await effects.put('mails', mailId, {
        mailId,
        bookingId,
        to: guestId,
        subject: `Room ${roomId} from ${from} to ${to}: cancelled`,
        body: `Dear ${guestId}, your stay in room ${roomId} from ${from} to ${to} is cancelled. We refund ${money(refund)}.`,
        at: ctx.envelope.timestamp,
      });
      return step(data, ctx);
    })
    .command(AlertManagement, async (data, ctx) => {
      const { bookingId, guestId, roomId, from, to, reason, refund } = data;
      const { alertId } = effectIds(bookingId);
      const why = reason === '' ? 'no reason given' : `reason: ${reason}`;
      await effects.put('alerts', alertId, {
        alertId,
        bookingId,
        message: `${guestId} cancelled room ${roomId} from ${from} to ${to} (${why}); refund ${money(refund)}`,
        at: ctx.envelope.timestamp,
      });
      return step(data, ctx);
    })
    .command(RecordRefund, async (data, ctx) => {
      const { bookingId, guestId, refundId, amount, at } = data;
      await effects.put('refunds', refundId, { refundId, bookingId, guestId, amount, at });
      return step(data, ctx);
    });
}
