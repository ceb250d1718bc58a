import { isRemoteError } from '@twofold/client';
import { type LagView, ProjectionLag, RecentEvents } from '../../../src/messages/queries.js';
import { type DeadLetterView, ReplayDeadLetter, ServiceDeadLetters } from '../../../src/services/dead-letters.js';
import { api, explain } from '../api.js';
import { h, mount, time } from '../dom.js';
import type { Page, Session } from '../session.js';

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

/** Replays a parked event and tells the manager what came of it: taken in, failing again, or no longer parked. */
async function replay(letter: DeadLetterView, session: Session): Promise<void> {
  const what = `${letter.type} for ${letter.streamId}`;
  try {
    await api.send(ReplayDeadLetter, { id: letter.id });
    session.flash(`Done: ${letter.consumer} took in ${what}.`);
  } catch (error) {
    if (isRemoteError(error, 'DOMAIN_RULE') && error.rule === 'STILL_FAILING') {
      session.flash(
        `Still failing: ${letter.consumer} could not take in ${what} again, so it stays parked. The server log has the error.`,
        'error',
      );
    } else if (isRemoteError(error, 'NOT_FOUND')) {
      session.flash(`Gone: ${what} is no longer parked (replayed or removed meanwhile).`, 'error');
    } else {
      session.flash(explain(error), 'error');
    }
  }
}

/** The events between the hotel and billing that their receiver parked, each with a button that replays it. */
function deadLetters(letters: readonly DeadLetterView[], onReplay: (letter: DeadLetterView) => Promise<void>) {
  const row = (letter: DeadLetterView) => {
    const button: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        'data-testid': 'replay',
        onclick: async () => {
          button.disabled = true;
          await onReplay(letter);
        },
      },
      'Replay',
    );
    return h(
      'tr',
      { 'data-testid': `dead-letter-${letter.id}` },
      ...[letter.consumer, letter.type, letter.streamId, letter.attempts, time(letter.at), letter.problem].map((c) =>
        h('td', {}, c),
      ),
      h('td', {}, button),
    );
  };
  return [
    h('h2', {}, 'Parked events'),
    h(
      'p',
      { class: 'muted' },
      'Events between the hotel and billing that their receiver could not take in. Fix the cause (the server log has the error), then replay.',
    ),
    letters.length === 0
      ? h('p', { class: 'muted', 'data-testid': 'no-dead-letters' }, 'No event is parked.')
      : h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Consumer', 'Type', 'Stream', 'Attempts', 'When', 'Problem', ''].map((c) => h('th', {}, c)),
            ),
          ),
          h('tbody', {}, ...letters.map(row)),
        ),
  ];
}

/**
 * Behind the scenes: the last events in the log, how far each projection, subscriber and process manager has
 * got, and the events parked between the hotel and billing, to replay once their cause is fixed.
 */
export const behindPage: Page = async (root, session) => {
  const lag = h('section', { 'data-testid': 'lag' });
  const parked = h('section', { 'data-testid': 'dead-letters' });
  const events = h('section', { 'data-testid': 'events' });
  // The read side and the latest events, drawn as soon as they come, whatever becomes of the parked events.
  const drawReadSide = async () => {
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

  // Billing's parked events are asked of billing itself when it runs in a process of its own, which may not answer
  // (a 503 after 2 s): that shows in their place alone.
  // A list asked for before a replay was done may answer after it, with the replayed event: it is not drawn.
  let replays = 0;
  const drawParked = async () => {
    const asked = replays;
    try {
      // Every page, each a bounded answer.
      const letters: DeadLetterView[] = [];
      let cursor: string | null = null;
      do {
        const parkedPage: { items: DeadLetterView[]; next: string | null } = await api.ask(
          ServiceDeadLetters,
          cursor === null ? { limit: 100 } : { limit: 100, cursor },
        );
        letters.push(...parkedPage.items);
        cursor = parkedPage.next;
      } while (cursor !== null);
      if (asked !== replays) return;
      mount(
        parked,
        deadLetters(letters, async (letter) => {
          await replay(letter, session);
          replays++;
          await refresh();
        }),
      );
    } catch (error) {
      if (asked === replays) mount(parked, h('h2', {}, 'Parked events'), h('p', { class: 'error' }, explain(error)));
    }
  };

  // One refresh at a time, so that a slow one is not overtaken, and its answer dropped, by the next; one asked for
  // meanwhile (by the timer, or after a replay) follows it.
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    if (running === undefined) {
      running = Promise.allSettled([drawReadSide(), drawParked()]).then(() => {
        running = undefined;
      });
      return running;
    }
    next ??= running.then(() => {
      next = undefined;
      return refresh();
    });
    return next;
  };

  mount(
    root,
    h('h1', {}, 'Behind the scenes'),
    h('p', { class: 'muted' }, 'Refreshes every two seconds.'),
    lag,
    parked,
    events,
  );
  await refresh();
  const timer = setInterval(() => void refresh(), 2000);
  return () => clearInterval(timer);
};
