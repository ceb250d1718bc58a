import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { Listener } from './listener.js';

const server = usePostgres();
const WAIT = { timeout: 10_000 };
const opened: (Listener | pg.Client)[] = [];
afterEach(async () => {
  for (const one of opened.splice(0)) await (one instanceof Listener ? one.close() : one.end());
});

let names = 0;
/** A listener whose connections carry an application_name of their own, and a client to watch them with. */
async function subject() {
  const name = `listener_${process.pid}_${++names}`;
  const listener = new Listener(() => new pg.Client({ connectionString: server.url, application_name: name }));
  const admin = new pg.Client(server.url);
  await admin.connect();
  opened.push(listener, admin);
  const query = async <R>(sql: string, values: unknown[] = []) => (await admin.query(sql, values)).rows as R[];
  const notify = (channel: string) => query('SELECT pg_notify($1, $2)', [channel, '']);
  return {
    listener,
    /** The listener's connections, each with its last statement. */
    sessions: () =>
      query<{ pid: number; query: string }>(
        'SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid',
        [name],
      ),
    kill: (pid: number) => query('SELECT pg_terminate_backend($1)', [pid]),
    /** Notifies chan_a, then chan_b, until `heard` holds; opens a dropped connection again meanwhile. */
    untilHeard: (heard: () => boolean) =>
      expect
        .poll(async () => {
          listener.ensure();
          await notify('chan_a');
          await notify('chan_b');
          return heard();
        }, WAIT)
        .toBe(true),
  };
}

function counter() {
  let n = 0;
  return {
    hit: () => void n++,
    get count() {
      return n;
    },
  };
}

describe('Listener (one LISTEN connection per database handle)', () => {
  it('serves several channels on one connection, each subscriber hearing its own channel', async () => {
    const { listener, untilHeard, sessions } = await subject();
    const [a, b, alsoA] = [counter(), counter(), counter()];
    listener.listen('chan_a', a.hit);
    listener.listen('chan_b', b.hit);
    listener.listen('chan_a', alsoA.hit);
    // Notifications from one session arrive in the order sent: once the last is heard, the others were.
    await untilHeard(() => b.count > 0);
    expect(alsoA.count).toBe(a.count);
    expect(a.count).toBeGreaterThanOrEqual(b.count);
    expect(await sessions()).toHaveLength(1);
  });

  it("UNLISTENs a channel with its last subscriber, and closes the connection with the last channel's", async () => {
    const { listener, untilHeard, sessions } = await subject();
    const [a, b] = [counter(), counter()];
    const stopA = listener.listen('chan_a', a.hit);
    const stopAlsoA = listener.listen('chan_a', () => {});
    const stopB = listener.listen('chan_b', b.hit);
    await untilHeard(() => b.count > 0);
    stopA();
    stopAlsoA();
    await expect.poll(async () => (await sessions()).map((s) => s.query)).toEqual(['UNLISTEN "chan_a"']);
    stopB();
    await expect.poll(async () => (await sessions()).length).toBe(0);
  });

  it('opens a dropped connection again on ensure(), listening on every channel still subscribed', async () => {
    const { listener, untilHeard, sessions, kill } = await subject();
    const heard = async (a: { count: number }, b: { count: number }) => {
      const [fromA, fromB] = [a.count, b.count];
      await untilHeard(() => a.count > fromA && b.count > fromB);
    };
    const [a, b] = [counter(), counter()];
    listener.listen('chan_a', a.hit);
    listener.listen('chan_b', b.hit);
    await heard(a, b);
    const [first, ...more] = await sessions();
    expect(more).toEqual([]);
    await kill(first!.pid);
    await expect.poll(async () => (await sessions()).map((s) => s.pid)).not.toContain(first!.pid);
    await heard(a, b);
    const now = await sessions();
    expect(now).toHaveLength(1);
    expect(now[0]!.pid).not.toBe(first!.pid);
  });

  it('listens on nothing once closed', async () => {
    const { listener, sessions } = await subject();
    listener.listen('chan_a', () => {});
    await expect.poll(async () => (await sessions()).length).toBe(1);
    await listener.close();
    listener.listen('chan_b', () => {});
    listener.ensure();
    expect(await sessions()).toHaveLength(0);
  });
});
