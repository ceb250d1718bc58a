import { type GlobalPosition, streamId, UnavailableError } from '@twofold/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { Listener } from '../connection/listener.js';
import { WakeUps } from './wake-ups.js';

const server = usePostgres();

/** A promise and the function that resolves it. */
function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WakeUps on PostgreSQL', () => {
  it('wakes a reader for a commit whose notification went out before its LISTEN took effect, with no poll', async () => {
    const db = await server.database();
    await db.events.append(streamId('before', 1), [{ type: 'test.Noted', data: {} }]);
    const start = await db.events.head();
    // The LISTEN connection opens only when the test says so: the commit below lands after the reader's last head
    // read and before its LISTEN, so no notification can reach it (none is sent on its channel at all).
    const gate = signal();
    const listener = new Listener(() => {
      const client = new pg.Client(server.url);
      const connect = client.connect.bind(client);
      return Object.assign(client, { connect: async () => gate.promise.then(() => connect()) });
    });
    let notified = 0;
    const reads: GlobalPosition[] = [];
    const twoReads = signal();
    const wakeUps = new WakeUps({
      head: async () => {
        const head = await db.events.head();
        reads.push(head);
        if (reads.length === 2) twoReads.resolve();
        return head;
      },
      listener: {
        listen: (channel, onNotify, onListening) =>
          listener.listen(
            channel,
            (payload) => {
              notified++;
              onNotify(payload);
            },
            onListening,
          ),
        ensure: () => listener.ensure(),
      },
      channel: `wake_ups_${process.pid}`,
      pollIntervalMs: 3_600_000,
      closed: () => new UnavailableError('closed'),
    });
    try {
      const waiting = wakeUps.wait(start, AbortSignal.timeout(10_000));
      // The wait's own head read, then the one it makes once it is registered: both saw nothing new.
      await twoReads.promise;
      expect(reads).toEqual([start, start]);
      const { position } = await db.events.append(streamId('after', 1), [{ type: 'test.Noted', data: {} }]);
      gate.resolve();
      await expect(waiting).resolves.toBeUndefined();
      expect(notified).toBe(0);
      expect(reads.at(-1)).toBe(position);
    } finally {
      await wakeUps.close();
      await listener.close();
    }
  });

  // A WakeUps on the store's head, counting its reads; `cap(n)` bounds the n-th read (from 0), as an older
  // transaction holding new events back bounds the readers'.
  async function counted(cap: (read: number) => number = () => Number.MAX_SAFE_INTEGER) {
    const db = await server.database();
    const channel = `wake_ups_${process.pid}_${Math.random().toString(36).slice(2)}`;
    const listener = new Listener(() => new pg.Client(server.url));
    const reads: GlobalPosition[] = [];
    const awaited: { count: number; resolve: () => void }[] = [];
    const listening = signal();
    const wakeUps = new WakeUps({
      head: async () => {
        const head = Math.min(await db.events.head(), cap(reads.length)) as GlobalPosition;
        reads.push(head);
        for (const a of awaited) if (reads.length >= a.count) a.resolve();
        return head;
      },
      listener: {
        listen: (on, onNotify, onListening) =>
          listener.listen(on, onNotify, () => {
            onListening?.();
            listening.resolve();
          }),
        ensure: () => listener.ensure(),
      },
      channel,
      pollIntervalMs: 3_600_000,
      closed: () => new UnavailableError('closed'),
    });
    /** Resolves once the head has been read `count` times in all. */
    const readsReach = (count: number) => {
      const reached = signal();
      if (reads.length >= count) reached.resolve();
      else awaited.push({ count, resolve: reached.resolve });
      return reached.promise;
    };
    const notifier = new pg.Client(server.url);
    await notifier.connect();
    const notify = (payload: string) => notifier.query('SELECT pg_notify($1, $2)', [channel, payload]);
    const close = async () => {
      await wakeUps.close();
      await listener.close();
      await notifier.end();
    };
    return { db, wakeUps, reads, readsReach, listening: listening.promise, notify, close };
  }

  it('looks at the head once for a notification whose position it already sees, not again and again', async () => {
    const t = await counted();
    try {
      const position = (await t.db.events.append(streamId('seen', 1), [{ type: 'test.Noted', data: {} }])).position!;
      // A reader waiting after the head, as a caught-up projection does.
      const waiting = t.wakeUps.wait(position, AbortSignal.timeout(10_000));
      waiting.catch(() => {});
      await t.listening;
      // The wait's own reads (before and after LISTEN took effect) end well within this.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = t.reads.length;
      await t.notify(String(position));
      await t.readsReach(before + 1);
      // The rechecks after a notification span 127 ms; none comes for a position already seen.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(t.reads.slice(before)).toEqual([position]);
    } finally {
      await t.close();
    }
  });

  it('keeps looking after a notification until the position it announced is visible, with no poll', async () => {
    let visibleFrom = Number.POSITIVE_INFINITY;
    let start = 0;
    const t = await counted((read) => (read < visibleFrom ? start : Number.MAX_SAFE_INTEGER));
    try {
      start = await t.db.events.head();
      const waiting = t.wakeUps.wait(start as GlobalPosition, AbortSignal.timeout(10_000));
      await t.listening;
      const { position } = await t.db.events.append(streamId('held', 1), [{ type: 'test.Noted', data: {} }]);
      // Held back for the first two reads after the notification, visible from the third.
      visibleFrom = t.reads.length + 2;
      await t.notify(String(position));
      await expect(waiting).resolves.toBeUndefined();
      expect(t.reads.length).toBeGreaterThanOrEqual(visibleFrom + 1);
      expect(t.reads.at(-1)).toBe(position);
    } finally {
      await t.close();
    }
  });
});
