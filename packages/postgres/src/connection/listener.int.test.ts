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

/** Counts calls; `next` resolves at the next one. */
function waiter() {
  let count = 0;
  let resolve = () => {};
  let next = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    hit: () => {
      count++;
      resolve();
      next = new Promise<void>((r) => {
        resolve = r;
      });
    },
    get count() {
      return count;
    },
    get next() {
      return next;
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

  it('tells a subscriber once LISTEN is in effect for it, at first and after a dropped connection, so one NOTIFY is heard', async () => {
    const { listener, sessions, kill } = await subject();
    const admin = new pg.Client(server.url);
    await admin.connect();
    opened.push(admin);
    const heard = { a: waiter(), b: waiter() };
    const listening = { a: waiter(), b: waiter() };
    // Each promise is taken before what settles it: a notification may arrive before pg_notify's own answer.
    const notified = async (sql: string, ...next: Promise<void>[]) => {
      await admin.query(sql);
      await Promise.all(next);
    };
    let next = listening.a.next;
    listener.listen('chan_a', heard.a.hit, listening.a.hit);
    await next;
    await notified("SELECT pg_notify('chan_a', '')", heard.a.next);
    // A second channel on the connection already open.
    next = listening.b.next;
    listener.listen('chan_b', heard.b.hit, listening.b.hit);
    await next;
    await notified("SELECT pg_notify('chan_b', '')", heard.b.next);
    const [first, ...more] = await sessions();
    expect(more).toEqual([]);
    await kill(first!.pid);
    await expect
      .poll(() => {
        listener.ensure();
        return [listening.a.count, listening.b.count];
      })
      .toEqual([2, 2]);
    await notified("SELECT pg_notify('chan_a', ''), pg_notify('chan_b', '')", heard.a.next, heard.b.next);
    expect([heard.a.count, heard.b.count]).toEqual([2, 2]);
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
