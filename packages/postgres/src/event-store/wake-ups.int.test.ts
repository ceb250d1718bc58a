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
            () => {
              notified++;
              onNotify();
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
});
