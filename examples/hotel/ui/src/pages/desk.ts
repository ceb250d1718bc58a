import { today } from '../../../src/domain/dates.js';
import { CheckIn, CheckOut } from '../../../src/messages/commands.js';
import { type AlertView, ManagementAlerts, Occupancy, type OccupancyView } from '../../../src/messages/queries.js';
import { api, explain } from '../api.js';
import { h, more, mount, time } from '../dom.js';
import type { Page } from '../session.js';

/** The operator's view: who sleeps where on a night, checking guests in and out, and management's alerts. */
export const deskPage: Page = async (root, session) => {
  const date = h('input', { type: 'date', value: today(), 'data-testid': 'date' });
  const board = h('section', { 'data-testid': 'occupancy' });
  const alerts = h('section', { 'data-testid': 'alerts' });

  const act = async (send: () => Promise<unknown>, done: string) => {
    try {
      await send();
      session.flash(done);
    } catch (error) {
      session.flash(explain(error), 'error');
    }
    await draw();
  };

  const room = ({ roomId, number, type, status, bookingId, guestId }: OccupancyView['byRoom'][number]) =>
    h(
      'tr',
      { 'data-testid': `occupancy-${roomId}` },
      h('td', {}, number),
      h('td', {}, type),
      h('td', {}, h('span', { class: `status ${status}` }, status)),
      h('td', {}, guestId ?? ''),
      h(
        'td',
        {},
        bookingId !== null && status === 'booked'
          ? h(
              'button',
              { onclick: () => act(() => api.send(CheckIn, { bookingId }), `${guestId} is checked in.`) },
              'Check in',
            )
          : null,
        bookingId !== null && status === 'checked-in'
          ? h(
              'button',
              { onclick: () => act(() => api.send(CheckOut, { bookingId }), `${guestId} is checked out.`) },
              'Check out',
            )
          : null,
      ),
    );

  const draw = async () => {
    try {
      // Alerts are for managers; the front desk sees the board only.
      const manager = session.who()?.role === 'manager';
      const [occupancy, alerted] = await Promise.all([
        api.ask(Occupancy, { date: date.value }),
        manager ? api.ask(ManagementAlerts, {}) : undefined,
      ]);
      const rate = occupancy.rooms === 0 ? 0 : Math.round((100 * occupancy.occupied) / occupancy.rooms);
      mount(
        board,
        h(
          'p',
          { class: 'big', 'data-testid': 'occupied' },
          `${occupancy.occupied} of ${occupancy.rooms} rooms taken (${rate}%)`,
        ),
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...['Room', 'Type', 'Status', 'Guest', ''].map((c) => h('th', {}, c)))),
          h('tbody', {}, ...occupancy.byRoom.map(room)),
        ),
      );
      const alert = (a: AlertView) => h('li', {}, h('span', { class: 'muted' }, time(a.at)), ' ', a.message);
      const listed = h('ul', {}, ...(alerted?.items ?? []).map(alert));
      mount(
        alerts,
        h('h2', {}, 'Alerts to management'),
        alerted === undefined
          ? h('p', { class: 'muted' }, 'Sign in as a manager to see them.')
          : alerted.items.length === 0
            ? h('p', { class: 'muted' }, 'None.')
            : listed,
        more(
          alerted?.next ?? null,
          (cursor) => api.ask(ManagementAlerts, { cursor }),
          (items) => listed.append(...items.map(alert)),
        ),
      );
    } catch (error) {
      mount(board, h('p', { class: 'error' }, explain(error)));
    }
  };

  mount(
    root,
    h('h1', {}, 'Front desk'),
    h(
      'form',
      {
        class: 'search',
        onsubmit: (event: Event) => {
          event.preventDefault();
          void draw();
        },
      },
      h('label', {}, 'Night of ', date),
    ),
    board,
    alerts,
  );
  date.addEventListener('change', () => void draw());
  await draw();
  return undefined;
};
