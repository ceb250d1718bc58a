// The HTTP bench: autocannon against the hotel app over a real socket (127.0.0.1), commands/s and queries/s, side by
// side in one run with a bare Fastify server doing the same SQLite work without Twofold.
// Sizes: TWOFOLD_BENCH_SECONDS per run (default 10), TWOFOLD_BENCH_CONNECTIONS (default 10), TWOFOLD_BENCH_ROUNDS
// (default 2): each case runs its two sides by turns this many times, and keeps each side's best run.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverOptions } from '@twofold/http';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { jwtVerify } from 'jose';
import { createApp } from '../../examples/hotel/src/app/server.js';
import { PEERS_DIR } from '../mediator/nest.js';

const SECONDS = Number(process.env.TWOFOLD_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.TWOFOLD_BENCH_CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.TWOFOLD_BENCH_ROUNDS ?? 2);

interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: Request) => Request;
}
type Autocannon = (options: { url: string; connections: number; duration: number; requests: Request[] }) => Promise<{
  requests: { average: number };
  non2xx: number;
  errors: number;
  latency: { p99: number };
  statusCodeStats: Record<string, { count: number }>;
}>;

function loadAutocannon(): Autocannon | undefined {
  try {
    return createRequire(join(PEERS_DIR, 'package.json'))('autocannon') as Autocannon;
  } catch {
    return undefined;
  }
}

let counter = 0;
const registerRoom = (prefix: string, authorization: string): Request => ({
  method: 'POST',
  path: prefix,
  headers: { 'content-type': 'application/json', authorization },
  setupRequest: (request) => ({
    ...request,
    body: JSON.stringify({ roomId: `r${++counter}`, number: String(counter), type: 'single', pricePerNight: 80 }),
  }),
});

/**
 * The connection limits of both servers: the hotel's defaults, except the cap on requests per connection. The load
 * comes over 10 keep-alive connections for the whole run, and after the 1,000th request on one of them (the
 * default cap) the next request autocannon has already sent is answered 503.
 */
const LIMITS = { maxRequestsPerSocket: 1_000_000_000 };

/** The secret both sides verify the bench's bearer token with (HS256, as the hotel's demo sign-in signs). */
const SECRET = 'bench-secret-bench-secret-bench-secret';
const KEY = new TextEncoder().encode(SECRET);

/**
 * The bare server: the same SQLite work as the hotel, by hand, with no mediator, no validation library, no
 * positions. Each request's bearer token is verified with jose, as the hotel verifies it. RegisterRoom: in one transaction on its write file, read the room's state row, write it and append
 * its event; then, as the hotel's two projections do, put the room into two read tables and move a checkpoint, in
 * one transaction on its read file. BookingDetails: read the booking document from the bookings read model's table,
 * and the booking's refunds and mails from the hotel's effects table, with the SQL the hotel's effect store runs.
 */
async function bareServer(dir: string, readFile: string, bookingsTable: string) {
  const open = (file: string, options?: Database.Options) => {
    const db = new Database(join(dir, file), options);
    if (options?.readonly !== true) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    return db;
  };
  const writes = open('bare-writes.db');
  writes.exec(`create table states (id text primary key, version integer not null, state text not null);
    create table events (position integer primary key, stream text not null, version integer not null, type text not null,
      data text not null, unique (stream, version))`);
  const load = writes.prepare('select version from states where id = ?');
  const save = writes.prepare('insert into states (id, version, state) values (?, 1, ?)');
  const append = writes.prepare(
    "insert into events (stream, version, type, data) values (?, 1, 'hotel.RoomRegistered', ?) returning position",
  );
  const register = writes.transaction((room: { roomId: string }, json: string) => {
    if (load.get(room.roomId) !== undefined) throw new Error('exists');
    save.run(room.roomId, json);
    return (append.get(`room-${room.roomId}`, json) as { position: number }).position;
  });
  const views = open('bare-reads.db');
  views.exec(`create table availability_rooms (id text primary key, document text not null);
    create table booking_rooms (id text primary key, document text not null);
    create table checkpoints (name text primary key, position integer not null)`);
  const putRoom = views.prepare('insert into availability_rooms (id, document) values (?, ?)');
  const putRoomRow = views.prepare('insert into booking_rooms (id, document) values (?, ?)');
  const checkpoint = views.prepare(
    "insert into checkpoints (name, position) values ('views', ?) on conflict (name) do update set position = excluded.position",
  );
  const project = views.transaction(
    (room: { roomId: string; number: string; type: string }, json: string, at: number) => {
      putRoom.run(room.roomId, json);
      putRoomRow.run(room.roomId, JSON.stringify({ number: room.number, type: room.type }));
      checkpoint.run(at);
    },
  );
  const reads = new Database(readFile, { readonly: true });
  const find = reads.prepare(`select document from ${bookingsTable} where id = ?`);
  const effects = (kind: string) =>
    reads.prepare(
      `select record from hotel_effects where kind = '${kind}' and json_extract(record, '$.bookingId') = ? order by at desc, seq desc`,
    );
  const refunds = effects('refunds');
  const mails = effects('mails');
  const list = (statement: Database.Statement, bookingId: string) =>
    (statement.all(bookingId) as { record: string }[]).map((row) => JSON.parse(row.record) as unknown);
  const server = Fastify(serverOptions(LIMITS));
  server.addHook('onRequest', async (request) => {
    const token = request.headers.authorization?.slice('Bearer '.length) ?? '';
    await jwtVerify(token, KEY, { issuer: 'twofold-hotel', algorithms: ['HS256'] });
  });
  server.post('/rooms', async (request) => {
    const room = request.body as { roomId: string; number: string; type: string; pricePerNight: number };
    if (typeof room?.roomId !== 'string') throw new Error('bad room');
    const json = JSON.stringify(room);
    project(room, json, register(room, json));
    return { result: null };
  });
  server.get('/bookings', async (request) => {
    const { bookingId } = request.query as { bookingId: string };
    const row = find.get(bookingId) as { document: string } | undefined;
    if (row === undefined) return { result: null };
    const found = JSON.parse(row.document) as Record<string, unknown>;
    return { result: { ...found, refunds: list(refunds, bookingId), mails: list(mails, bookingId) } };
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    close: async () => {
      await server.close();
      writes.close();
      views.close();
      reads.close();
    },
  };
}

const autocannon = loadAutocannon();
if (autocannon === undefined) {
  console.error('autocannon is not installed: run `npm run setup -w @twofold/bench` first.');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'twofold-bench-http-'));
const app = await createApp({ dataDir: dir, seed: true, identity: { secret: SECRET }, limits: LIMITS });
try {
  const hotelUrl = await app.server.listen({ port: 0, host: '127.0.0.1' });
  // Every hotel command and query but FreeRooms needs a token: the bench signs in as a manager, once.
  const session = await fetch(`${hotelUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'bench', role: 'manager' }),
  });
  if (!session.ok) throw new Error(`the demo sign-in answered ${session.status}`);
  const authorization = `Bearer ${((await session.json()) as { token: string }).token}`;
  const readFile = join(dir, 'hotel-reads.db');
  // The bookings read model's table, once the projection has applied the seed.
  let table: string | undefined;
  for (let tries = 0; table === undefined && tries < 50; tries++) {
    const probe = new Database(readFile, { readonly: true });
    table = (
      probe.prepare("select name from sqlite_master where type = 'table' and name like '%bookings@%:bookings'").get() as
        | { name: string }
        | undefined
    )?.name;
    probe.close();
    if (table === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (table === undefined) throw new Error('the hotel has no bookings read model table yet');
  const bare = await bareServer(dir, readFile, `"${table}"`);
  try {
    type Run = { rate: number; p99: number; bad: number };
    const run = async (url: string, request: Request): Promise<Run> => {
      const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests: [request] });
      const bad = result.non2xx + result.errors;
      if (bad > 0) console.error(`${url}${request.path}: statuses`, result.statusCodeStats, `errors ${result.errors}`);
      return { rate: result.requests.average, p99: result.latency.p99, bad };
    };
    // By turns, so that a burst of load from elsewhere on the machine falls on both sides alike.
    const best = async (twofold: () => Promise<Run>, plain: () => Promise<Run>) => {
      const runs: [Run[], Run[]] = [[], []];
      for (let round = 0; round < ROUNDS; round++) {
        runs[0].push(await twofold());
        runs[1].push(await plain());
      }
      const top = (side: Run[]) => ({
        ...side.reduce((a, b) => (b.rate > a.rate ? b : a)),
        bad: side.reduce((sum, r) => sum + r.bad, 0),
      });
      return [top(runs[0]), top(runs[1])] as const;
    };
    const rows = [
      [
        'command hotel.RegisterRoom',
        ...(await best(
          () => run(hotelUrl, registerRoom('/api/commands/hotel.RegisterRoom', authorization)),
          () => run(bare.url, registerRoom('/rooms', authorization)),
        )),
      ],
      [
        'query hotel.BookingDetails',
        ...(await best(
          () =>
            run(hotelUrl, {
              method: 'GET',
              path: '/api/queries/hotel.BookingDetails?bookingId=demo-ada',
              headers: { authorization },
            }),
          () => run(bare.url, { method: 'GET', path: '/bookings?bookingId=demo-ada', headers: { authorization } }),
        )),
      ],
    ] as const;
    console.log(
      `HTTP over 127.0.0.1, ${CONNECTIONS} connections, best of ${ROUNDS} runs of ${SECONDS} s per side, SQLite WAL NORMAL, Node ${process.version}`,
    );
    console.log(
      'case'.padEnd(28),
      'Twofold req/s'.padStart(14),
      'bare req/s'.padStart(11),
      '÷ bare'.padStart(7),
      '  p99 ms (Twofold / bare)',
      '  non-2xx',
    );
    for (const [name, twofold, plain] of rows) {
      console.log(
        name.padEnd(28),
        twofold.rate.toFixed(0).padStart(14),
        plain.rate.toFixed(0).padStart(11),
        `${(twofold.rate / plain.rate).toFixed(2)}×`.padStart(7),
        `  ${twofold.p99} / ${plain.p99}`.padEnd(26),
        `  ${twofold.bad} / ${plain.bad}`,
      );
    }
    // A rate of refusals measures nothing: every request of every run must have succeeded on both sides.
    const failed = rows.filter(([, twofold, plain]) => twofold.bad > 0 || plain.bad > 0).map(([name]) => name);
    if (failed.length > 0) throw new Error(`non-2xx answers or errors in: ${failed.join(', ')}`);
  } finally {
    await bare.close();
  }
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
