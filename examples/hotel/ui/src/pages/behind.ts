import { ProjectionLag, RecentEvents } from '../../../src/messages/queries.js';
import { api, explain } from '../api.js';
import { h, mount, time } from '../dom.js';
import type { Page } from '../session.js';

/** Behind the scenes: the last events in the log, and how far each projection, subscriber and process manager has got. */
export const behindPage: Page = async (root) => {
  const lag = h('section', { 'data-testid': 'lag' });
  const events = h('section', { 'data-testid': 'events' });

  const draw = async () => {
    try {
      const [status, recent] = await Promise.all([api.ask(ProjectionLag, {}), api.ask(RecentEvents, { limit: 25 })]);
      mount(
        lag,
        h('h2', {}, 'Read side'),
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Name', 'Kind', 'State', 'Position', 'Head', 'Lag (events)', 'Lag (ms)', 'Problem'].map((c) =>
                h('th', {}, c),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            ...status.projections.map((p) =>
              h(
                'tr',
                {},
                ...[p.name, 'projection', p.state, p.position, p.head, p.lagEvents, p.lagMs, p.error ?? ''].map((c) =>
                  h('td', {}, c),
                ),
              ),
            ),
            ...status.subscribers.map((s) =>
              h(
                'tr',
                {},
                ...[
                  s.name,
                  'subscriber',
                  s.running ? 'running' : 'stopped',
                  s.position,
                  s.head,
                  s.lagEvents,
                  '',
                  s.error ?? (s.deadLetters > 0 ? `${s.deadLetters} dead letters` : ''),
                ].map((c) => h('td', {}, c)),
              ),
            ),
            ...status.processManagers.map((m) =>
              h(
                'tr',
                {},
                ...[
                  m.name,
                  'process manager',
                  m.running ? 'running' : 'stopped',
                  m.position,
                  m.head,
                  m.lagEvents,
                  '',
                  m.error ?? (m.deadLetters > 0 ? `${m.deadLetters} dead letters` : ''),
                ].map((c) => h('td', {}, c)),
              ),
            ),
          ),
        ),
      );
      mount(
        events,
        h('h2', {}, 'Latest events'),
        h(
          'table',
          { class: 'events' },
          h('thead', {}, h('tr', {}, ...['#', 'Type', 'Stream', 'When', 'Data'].map((c) => h('th', {}, c)))),
          h(
            'tbody',
            {},
            ...recent.items.map((e) =>
              h(
                'tr',
                {},
                h('td', {}, e.position),
                h('td', {}, e.type),
                h('td', {}, e.streamId),
                h('td', {}, time(e.timestamp)),
                h('td', {}, h('code', {}, JSON.stringify(e.data))),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      mount(lag, h('p', { class: 'error' }, explain(error)));
    }
  };

  mount(
    root,
    h('h1', {}, 'Behind the scenes'),
    h('p', { class: 'muted' }, 'Refreshes every two seconds.'),
    lag,
    events,
  );
  await draw();
  const timer = setInterval(() => void draw(), 2000);
  return () => clearInterval(timer);
};
