import { CancellationProgress, type CancellationView } from '../../../src/cancellation/queries.js';
import { CancelBooking, ConfirmBooking } from '../../../src/messages/commands.js';
import {
  BookingDetails,
  type BookingView,
  GuestBookings,
  GuestMail,
  type MailView,
  type RefundView,
} from '../../../src/messages/queries.js';
import { api, explain } from '../api.js';
import { h, money, more, mount, time } from '../dom.js';
import type { Page } from '../session.js';

/** What a cancellation has done so far, and once it is complete, the refund and the mail. */
function cancelled(
  progress: CancellationView | null,
  details: { readonly refunds: readonly RefundView[]; readonly mails: readonly MailView[] } | null | undefined,
) {
  const step = (testid: string, label: string, done: boolean, waiting: string, finished: string) =>
    h('li', { 'data-testid': testid, class: done ? 'done' : 'pending' }, `${label}: ${done ? finished : waiting}`);
  return h(
    'div',
    { class: 'panel' },
    h('h2', {}, 'Cancelled'),
    progress === null
      ? null
      : h(
          'ul',
          { class: 'progress', 'data-testid': 'progress' },
          step('progress-refund', 'Refund', progress.refund === 'done', 'pending at billing', 'done'),
          step('progress-mail', 'Mail to you', progress.mailSent, 'not sent yet', 'sent'),
          step('progress-alert', 'Alert to management', progress.alertSent, 'not sent yet', 'sent'),
        ),
    ...(details?.refunds ?? []).map((r) =>
      h('p', { 'data-testid': 'refund' }, `Refund of ${money(r.amount)} issued to ${r.guestId}.`),
    ),
    ...(details?.mails ?? [])
      .filter((m) => m.subject.endsWith(': cancelled'))
      .map((m) =>
        h('article', { class: 'mail', 'data-testid': 'cancel-mail' }, h('h3', {}, m.subject), h('p', {}, m.body)),
      ),
  );
}

/**
 * The guest's bookings, confirming a held one or cancelling one (following its progress), and what the hotel
 * mailed them.
 */
export const bookingsPage: Page = async (root, session) => {
  const who = session.who();
  if (who === undefined) {
    mount(root, h('h1', {}, 'My bookings'), h('p', {}, 'Sign in (top right) to see your bookings.'));
    return undefined;
  }
  const guestId = who.user;
  const list = h('section', { 'data-testid': 'my-bookings' });
  const outcome = h('section', { 'data-testid': 'cancellation' });
  const inbox = h('section', { class: 'inbox', 'data-testid': 'inbox' });

  const draw = async () => {
    try {
      const [bookings, mails] = await Promise.all([
        api.ask(GuestBookings, { guestId }),
        api.ask(GuestMail, { guestId }),
      ]);
      const rows = h('tbody', {}, ...bookings.items.map(row));
      mount(
        list,
        bookings.items.length === 0
          ? h('p', {}, 'No bookings yet. ', h('a', { href: '#/book' }, 'Book a room'), '.')
          : h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Room', 'Arrival', 'Departure', 'Nights', 'Total', 'Status', ''].map((c) => h('th', {}, c)),
                ),
              ),
              rows,
            ),
        more(
          bookings.next,
          (cursor) => api.ask(GuestBookings, { guestId, cursor }),
          (items) => rows.append(...items.map(row)),
        ),
      );
      const letters = h('div', {}, ...mails.items.map(letter));
      mount(
        inbox,
        h('h2', {}, `Mail to ${guestId}`),
        mails.items.length === 0 ? h('p', { class: 'muted' }, 'Nothing yet.') : letters,
        more(
          mails.next,
          (cursor) => api.ask(GuestMail, { guestId, cursor }),
          (items) => letters.append(...items.map(letter)),
        ),
      );
    } catch (error) {
      mount(list, h('p', { class: 'error' }, explain(error)));
    }
  };

  const letter = (mail: MailView) =>
    h(
      'article',
      { class: 'mail' },
      h('h3', {}, mail.subject),
      h('p', { class: 'muted' }, time(mail.at)),
      h('p', {}, mail.body),
    );

  const row = (booking: BookingView) =>
    h(
      'tr',
      { 'data-testid': `booking-${booking.bookingId}` },
      h('td', {}, `${booking.roomNumber} (${booking.roomType})`),
      h('td', {}, booking.from),
      h('td', {}, booking.to),
      h('td', {}, booking.nights),
      h('td', {}, money(booking.total)),
      h(
        'td',
        {},
        h('span', { class: `status ${booking.status}`, 'data-testid': 'status' }, booking.status),
        booking.status === 'held' && booking.heldUntil !== null
          ? h('p', { class: 'muted', 'data-testid': 'held-until' }, `Confirm by ${time(booking.heldUntil)}`)
          : null,
      ),
      h(
        'td',
        {},
        booking.status === 'held' ? confirmButton(booking) : null,
        booking.status === 'held' || booking.status === 'booked' ? cancelForm(booking) : null,
      ),
    );

  const confirmButton = (booking: BookingView) => {
    const confirm = async () => {
      try {
        await api.send(ConfirmBooking, { bookingId: booking.bookingId });
        session.flash(`Your booking of room ${booking.roomNumber} is confirmed.`);
        await draw();
      } catch (error) {
        session.flash(explain(error), 'error');
        await draw();
      }
    };
    return h('button', { class: 'primary', onclick: confirm, 'data-testid': 'confirm' }, 'Confirm');
  };

  // The cancellation's progress, asked again every half second until the refund, the mail and the alert are done
  // (or the page is left); then the refund and the mail themselves.
  const follow = async (bookingId: string) => {
    for (;;) {
      const progress = await api.ask(CancellationProgress, { bookingId });
      const details = progress?.completed ? await api.ask(BookingDetails, { bookingId }) : undefined;
      mount(outcome, cancelled(progress, details));
      if (progress === null || progress.completed || !outcome.isConnected) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  const cancelForm = (booking: BookingView) => {
    const reason = h('input', { placeholder: 'Reason (optional)', maxlength: 500, 'data-testid': 'reason' });
    const cancel = async (event: Event) => {
      event.preventDefault();
      try {
        await api.send(CancelBooking, { bookingId: booking.bookingId, reason: reason.value });
        session.flash(`Your booking of room ${booking.roomNumber} is cancelled.`);
        await draw();
        await follow(booking.bookingId);
      } catch (error) {
        session.flash(explain(error), 'error');
      }
    };
    return h(
      'form',
      { class: 'cancel', onsubmit: cancel },
      reason,
      h('button', { type: 'submit', 'data-testid': 'cancel' }, 'Cancel'),
    );
  };

  mount(root, h('h1', {}, `Bookings of ${guestId}`), outcome, list, inbox);
  await draw();
  return undefined;
};
