import { addDays, today } from '../../../src/domain/dates.js';
import { BookRoom } from '../../../src/messages/commands.js';
import { FreeRooms, type FreeRoomView } from '../../../src/messages/queries.js';
import { api, explain, newId } from '../api.js';
import { h, money, mount } from '../dom.js';
import type { Page } from '../session.js';

/** Search free rooms for some nights, and book one. */
export const bookPage: Page = (root, session) => {
  const from = h('input', {
    type: 'date',
    required: true,
    value: addDays(today(), 1),
    min: today(),
    'data-testid': 'from',
  });
  const to = h('input', { type: 'date', required: true, value: addDays(today(), 3), 'data-testid': 'to' });
  const results = h('section', { class: 'results', 'data-testid': 'free-rooms' });

  const search = async (event?: Event) => {
    event?.preventDefault();
    mount(results, h('p', { class: 'muted' }, 'Searching…'));
    try {
      const rooms = await api.ask(FreeRooms, { from: from.value, to: to.value });
      mount(
        results,
        rooms.length === 0
          ? h('p', {}, 'No room is free for all of these nights. Try other dates.')
          : h('ul', { class: 'cards' }, ...rooms.map((room) => card(room, from.value, to.value))),
      );
    } catch (error) {
      mount(results, h('p', { class: 'error' }, explain(error)));
    }
  };

  const card = (room: FreeRoomView, arrival: string, departure: string) => {
    const book = async () => {
      const who = session.who();
      if (who === undefined) {
        session.flash('Sign in (top right) to book a room.', 'error');
        return;
      }
      button.disabled = true;
      try {
        await api.send(BookRoom, {
          bookingId: newId(),
          roomId: room.roomId,
          guestId: who.user,
          from: arrival,
          to: departure,
        });
        session.flash(
          `Room ${room.number} is held for you from ${arrival} to ${departure}: confirm it under My bookings before the hold expires.`,
        );
        session.go('bookings');
      } catch (error) {
        session.flash(explain(error), 'error');
        button.disabled = false;
        await search();
      }
    };
    const button = h('button', { class: 'primary', onclick: book, 'data-testid': `book-${room.roomId}` }, 'Book');
    return h(
      'li',
      { class: 'card', 'data-testid': `room-${room.roomId}` },
      h('h3', {}, `Room ${room.number}`),
      h('p', { class: 'muted' }, `${room.type} · ${money(room.pricePerNight)} a night`),
      h('p', { class: 'total' }, `${room.nights} nights: ${money(room.total)}`),
      button,
    );
  };

  mount(
    root,
    h('h1', {}, 'Book a room'),
    h(
      'form',
      { class: 'search', onsubmit: search },
      h('label', {}, 'Arrival ', from),
      h('label', {}, 'Departure ', to),
      h('button', { type: 'submit', 'data-testid': 'search' }, 'Search free rooms'),
    ),
    results,
  );
  void search();
  return undefined;
};
