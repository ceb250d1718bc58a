// Idempotency-Key over HTTP on durable write stores: a repeat is answered from the write model's record, after a
// restart as before it, and a different request under a used key is refused whatever this process remembers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, isRemoteError } from '@twofold/client';
import {
  createMediator,
  DomainError,
  defineCommand,
  defineDecider,
  defineEvent,
  type IdempotencyStore,
  streamId,
  type WriteStore,
  writeModels,
} from '@twofold/core';
import { postgres as openPostgres } from '@twofold/postgres';
import { type SqliteStore, sqlite } from '@twofold/sqlite';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { memoryRunningKeys, type TwofoldHttpOptions, twofoldHttp } from '../../src/index.js';

const BookRoom = defineCommand('test.BookRoom', z.object({ bookingId: z.string(), roomId: z.string() }), {
  result: z.object({ bookingId: z.string(), status: z.string() }),
});
const CancelBooking = defineCommand('test.CancelBooking', z.object({ bookingId: z.string() }), {
  result: z.object({ bookingId: z.string(), status: z.string() }),
});
const RoomBooked = defineEvent('test.RoomBooked', z.object({ bookingId: z.string(), roomId: z.string() }));
const BookingCancelled = defineEvent('test.BookingCancelled', z.object({ bookingId: z.string() }));

const booking = defineDecider({
  name: 'booking',
  commands: [BookRoom, CancelBooking],
  events: [RoomBooked, BookingCancelled],
  initialState: (): string => 'none',
  evolve: (_state, event) => (event.type === 'test.RoomBooked' ? 'booked' : 'cancelled'),
  decide: (command, state) => {
    if (command.type === 'test.BookRoom') {
      if (state !== 'none') throw new DomainError('EXISTS', 'Already booked');
      return [{ type: 'test.RoomBooked', data: command.data }];
    }
    if (state !== 'booked') throw new DomainError('NOT_BOOKED', 'Nothing to cancel');
    return [{ type: 'test.BookingCancelled', data: command.data }];
  },
});

interface Running {
  readonly app: FastifyInstance;
  readonly store: WriteStore;
  post(type: string, body: unknown, key?: string): Promise<LightMyRequestResponse>;
  stop(): Promise<void>;
}

/** A write store as a test opens it: again and again on the same data, as a restarted app does. */
interface Durable {
  readonly name: string;
  open(): Promise<{ readonly store: WriteStore; close(): Promise<void> | void }>;
}

const temp = mkdtempSync(join(tmpdir(), 'twofold-http-idempotency-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let postgres: PostgresServer | undefined;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

let files = 0;
let schemas = 0;
const stores = (): Durable[] => {
  const path = join(temp, `hotel-${++files}.db`);
  const schema = `idem_${process.pid}_${++schemas}`;
  return [
    {
      name: 'SQLite file',
      open: async () => {
        const db = sqlite(path);
        return { store: db.events, close: () => db.close() };
      },
    },
    {
      name: 'PostgreSQL',
      open: async () => {
        const db = await openPostgres({ connection: postgres!.url, schema });
        return { store: db.events, close: () => db.close() };
      },
    },
  ];
};

const running: Running[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const app of running.splice(0)) await app.stop();
});

/** Resolves once a prune of `store`'s idempotency records has deleted every one stamped before `at`. */
function prunedPast(store: IdempotencyStore, at: number): Promise<void> {
  const prune = store.pruneIdempotency.bind(store);
  return new Promise((resolve) => {
    store.pruneIdempotency = async (before, limit) => {
      const pruned = await prune(before, limit);
      if (before > at && pruned < limit) resolve();
      return pruned;
    };
  });
}

async function start(durable: Durable, options: Partial<TwofoldHttpOptions> = {}, retentionMs?: number) {
  const { store, close } = await durable.open();
  const models = writeModels({ store, ...(retentionMs === undefined ? {} : { idempotencyRetentionMs: retentionMs }) });
  const handler = models.eventSourced(booking, {
    stream: ({ data }) => streamId('booking', data.bookingId),
    result: ({ state, events }: { state: string; events: readonly { data: { bookingId: string } }[] }) => ({
      bookingId: events[0]?.data.bookingId ?? '',
      status: state,
    }),
  });
  const mediator = createMediator().command(BookRoom, handler).command(CancelBooking, handler);
  const app = Fastify();
  await app.register(twofoldHttp, { prefix: '/api', mediator, ...options });
  await app.ready();
  const self: Running = {
    app,
    store,
    post: (type, body, key) =>
      app.inject({
        method: 'POST',
        url: `/api/commands/${type}`,
        payload: body as object,
        headers: key === undefined ? {} : { 'idempotency-key': key },
      }),
    stop: async () => {
      running.splice(running.indexOf(self), 1);
      await app.close();
      await close();
    },
  };
  running.push(self);
  return self;
}

describe.each(['SQLite file', 'PostgreSQL'])('Idempotency-Key on %s', (name) => {
  const durable = () => stores().find((s) => s.name === name)!;

  it('after a restart, refuses another body under a used key (nothing runs) and replays the same body', async () => {
    const data = durable();
    const first = await start(data);
    for (const id of ['b1', 'b2']) {
      expect((await first.post('test.BookRoom', { bookingId: id, roomId: '101' })).statusCode).toBe(200);
    }
    const cancelled = await first.post('test.CancelBooking', { bookingId: 'b1' }, 'cancel-1');
    expect(cancelled.statusCode).toBe(200);
    await first.stop();

    const again = await start(data);
    const head = await again.store.head();
    // Before, this answered 200 with b1's position and a result built from b2, and b2 stayed booked.
    const reused = await again.post('test.CancelBooking', { bookingId: 'b2' }, 'cancel-1');
    expect(reused.statusCode).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    expect(await again.store.head()).toBe(head);
    expect(await again.store.streamVersion(streamId('booking', 'b2'))).toBe(1);

    const replayed = await again.post('test.CancelBooking', { bookingId: 'b1' }, 'cancel-1');
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json()).toEqual(cancelled.json());
    expect(replayed.headers['twofold-position']).toBe(cancelled.headers['twofold-position']);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(cancelled.headers['idempotent-replayed']).toBeUndefined();
    expect(await again.store.head()).toBe(head);
  });

  it('refuses a key used for one command when it comes again with another command, which does not run', async () => {
    const app = await start(durable());
    const booked = await app.post('test.BookRoom', { bookingId: 'b1', roomId: '101' }, 'k-1');
    expect(booked.statusCode).toBe(200);
    const head = await app.store.head();
    // Before, keys were scoped to the command type too, so this ran as a command of its own and answered 200.
    const other = await app.post('test.CancelBooking', { bookingId: 'b1' }, 'k-1');
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await app.store.head()).toBe(head);
    expect(await app.store.streamVersion(streamId('booking', 'b1'))).toBe(1);
  });

  it('refuses another body under a key the HTTP layer no longer remembers (10,001 newer keys)', async () => {
    // A small in-memory store stands in for 10,000 newer keys: it only ever held running requests anyway.
    const app = await start(durable(), { idempotency: memoryRunningKeys({ max: 1 }) });
    for (const id of ['b1', 'b2']) await app.post('test.BookRoom', { bookingId: id, roomId: '101' });
    const cancelled = await app.post('test.CancelBooking', { bookingId: 'b1' }, 'cancel-1');
    for (let i = 0; i < 3; i++) {
      expect((await app.post('test.BookRoom', { bookingId: `n${i}`, roomId: '1' }, `newer-${i}`)).statusCode).toBe(200);
    }
    const head = await app.store.head();
    const reused = await app.post('test.CancelBooking', { bookingId: 'b2' }, 'cancel-1');
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    const replayed = await app.post('test.CancelBooking', { bookingId: 'b1' }, 'cancel-1');
    expect(replayed.json()).toEqual(cancelled.json());
    expect(await app.store.head()).toBe(head);
  });

  it('replays a retry of the typed client over a socket, and refuses its other payload as IDEMPOTENCY_KEY_REUSED', async () => {
    const app = await start(durable());
    const client = createClient({ baseUrl: `${await app.app.listen({ port: 0, host: '127.0.0.1' })}/api` });
    const first = await client.execute(BookRoom, { bookingId: 'b1', roomId: '101' }, { idempotencyKey: 'retry-me' });
    const again = await client.execute(BookRoom, { bookingId: 'b1', roomId: '101' }, { idempotencyKey: 'retry-me' });
    expect(again).toEqual(first);
    const other = client.execute(BookRoom, { bookingId: 'b2', roomId: '101' }, { idempotencyKey: 'retry-me' });
    await expect(other).rejects.toSatisfy((error) => isRemoteError(error, 'IDEMPOTENCY_KEY_REUSED'));
    expect(await app.store.head()).toBe(first.position);
  });

  it("never answers one caller's key with another caller's result, even for the same body", async () => {
    // The caller is whoever the x-user header names: enough to tell two principals apart.
    const authenticate = (request: { headers: Record<string, unknown> }) => {
      const user = request.headers['x-user'];
      return typeof user === 'string' ? { id: user, roles: [] } : undefined;
    };
    const app = await start(durable(), { authenticate });
    const as = (user: string) =>
      app.app.inject({
        method: 'POST',
        url: '/api/commands/test.BookRoom',
        payload: { bookingId: 'b1', roomId: '101' },
        headers: { 'idempotency-key': 'shared', 'x-user': user },
      });
    const ada = await as('ada');
    expect(ada.statusCode).toBe(200);
    const head = await app.store.head();
    // Grace's request runs as her own: the booking exists, so it is refused, and she learns nothing of Ada's answer.
    const grace = await as('grace');
    expect(grace.headers['idempotent-replayed']).toBeUndefined();
    expect(grace.statusCode).toBe(422);
    expect(grace.json()).toMatchObject({ code: 'DOMAIN_RULE', rule: 'EXISTS' });
    expect(await app.store.head()).toBe(head);
    // Ada's own repeat is still her replay.
    const again = await as('ada');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(ada.json());
  });

  it('prunes records past their retention, after a later commit', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const app = await start(durable(), {}, 60_000);
    const pruned = prunedPast(app.store, 1_000_000);
    await app.post('test.BookRoom', { bookingId: 'b1', roomId: '101' }, 'old');
    vi.setSystemTime(1_000_000 + 61_000);
    await app.post('test.BookRoom', { bookingId: 'b2', roomId: '101' }, 'new');
    await pruned;
    expect(await app.store.find(JSON.stringify([null, 'old']))).toBe(undefined);
    expect(await app.store.find(JSON.stringify([null, 'new']))).toBeDefined();
  });
});

describe('a record stored before records named their command', () => {
  it('is answered as a repeat, as it was when it was stored', async () => {
    const sqlite = stores().find((s) => s.name === 'SQLite file')!;
    const first = await start(sqlite);
    await first.post('test.BookRoom', { bookingId: 'b1', roomId: '101' });
    const cancelled = await first.post('test.CancelBooking', { bookingId: 'b1' }, 'cancel-1');
    // What migration 2 leaves in the rows stored before it: no type, no fingerprint.
    await (first.store as SqliteStore).commit({
      participants: [
        (db) => void db.prepare('UPDATE twofold_idempotency SET command_type = NULL, fingerprint = NULL').run(),
      ],
    });
    await first.stop();
    const again = await start(sqlite);
    const repeat = await again.post('test.CancelBooking', { bookingId: 'b2' }, 'cancel-1');
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toEqual(cancelled.json());
    expect(repeat.headers['idempotent-replayed']).toBe('true');
  });
});
