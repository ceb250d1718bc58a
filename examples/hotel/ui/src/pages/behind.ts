import { type LagView, ProjectionLag, RecentEvents } from '../../../src/messages/queries.js';
import { api, explain } from '../api.js';
import { h, mount, time } from '../dom.js';
import type { Page } from '../session.js';

type Follower = LagView['subscribers'][number];

// A subscriber's or a process manager's row: no lag in ms, and its dead letters where nothing is failing.
const follower = (f: Follower, kind: string) =>
  h(
    'tr',
    {},
    ...[
      f.name,
      kind,
      f.running ? 'running' : 'stopped',
      f.position,
      f.head,
      f.lagEvents,
      '',
      f.error ?? (f.deadLetters > 0 ? `${f.deadLetters} dead letters` : ''),
    ].map((c) => h('td', {}, c)),
  );

/**
 * Behind the scenes: the last events in the log, and how far each projection, subscriber and process manager has
 * got.
 */
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
            ...status.subscribers.map((s) => follower(s, 'subscriber')),
            ...status.processManagers.map((m) => follower(m, 'process manager')),
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
