// The HTTP bench: autocannon against the hotel app over a real socket (127.0.0.1), commands/s and queries/s, side by
// side in one run with a bare Fastify server doing the same SQLite work without Twofold.
// Sizes: TWOFOLD_BENCH_SECONDS per case (default 10), TWOFOLD_BENCH_CONNECTIONS (default 10).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { createApp } from '../../examples/hotel/src/app/server.js';
import { PEERS_DIR } from '../mediator/nest.js';

const SECONDS = Number(process.env.TWOFOLD_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.TWOFOLD_BENCH_CONNECTIONS ?? 10);

interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: Request) => Request;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: Request[];
}) => Promise<{ requests: { average: number }; non2xx: number; errors: number; latency: { p99: number } }>;

function loadAutocannon(): Autocannon | undefined {
  try {
    return createRequire(join(PEERS_DIR, 'package.json'))('autocannon') as Autocannon;
  } catch {
    return undefined;
  }
}

let counter = 0;
const registerRoom = (prefix: string): Request => ({
  method: 'POST',
  path: prefix,
  headers: { 'content-type': 'application/json' },
  setupRequest: (request) => ({
    ...request,
    body: JSON.stringify({ roomId: `r${++counter}`, number: String(counter), type: 'single', pricePerNight: 80 }),
  }),
});

/**
 * The bare server: the same SQLite work as the hotel's RegisterRoom (in one transaction: read the room's state row,
 * write it, append its event) and BookingDetails (read one booking document), with no mediator, no validation
 * library, no positions.
 */
async function bareServer(dir: string, readFile: string, bookingsTable: string) {
  const writes = new Database(join(dir, 'bare-writes.db'));
  writes.pragma('journal_mode = WAL');
  writes.pragma('synchronous = NORMAL');
  writes.exec(`create table states (id text primary key, version integer not null, state text not null);
    create table events (position integer primary key, stream text not null, version integer not null, type text not null,
      data text not null, unique (stream, version))`);
  const load = writes.prepare('select version from states where id = ?');
  const save = writes.prepare('insert into states (id, version, state) values (?, 1, ?)');
  const append = writes.prepare(
    "insert into events (stream, version, type, data) values (?, 1, 'hotel.RoomRegistered', ?)",
  );
  const register = writes.transaction((room: { roomId: string }) => {
    if (load.get(room.roomId) !== undefined) throw new Error('exists');
    const json = JSON.stringify(room);
    save.run(room.roomId, json);
    append.run(`room-${room.roomId}`, json);
  });
  const reads = new Database(readFile, { readonly: true });
  const find = reads.prepare(`select document from ${bookingsTable} where id = ?`);
  const server = Fastify();
  server.post('/rooms', async (request) => {
    const room = request.body as { roomId: string; number: string; type: string; pricePerNight: number };
    if (typeof room?.roomId !== 'string') throw new Error('bad room');
    register(room);
    return { result: null };
  });
  server.get('/bookings', async (request) => {
    const row = find.get((request.query as { bookingId: string }).bookingId) as { document: string } | undefined;
    return { result: row === undefined ? null : JSON.parse(row.document) };
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    close: async () => {
      await server.close();
      writes.close();
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
const app = await createApp({ dataDir: dir, seed: true });
try {
  const hotelUrl = await app.server.listen({ port: 0, host: '127.0.0.1' });
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
    const run = async (url: string, request: Request) => {
      const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests: [request] });
      return { rate: result.requests.average, p99: result.latency.p99, bad: result.non2xx + result.errors };
    };
    const rows = [
      [
        'command hotel.RegisterRoom',
        await run(hotelUrl, registerRoom('/api/commands/hotel.RegisterRoom')),
        await run(bare.url, registerRoom('/rooms')),
      ],
      [
        'query hotel.BookingDetails',
        await run(hotelUrl, { method: 'GET', path: '/api/queries/hotel.BookingDetails?bookingId=demo-ada' }),
        await run(bare.url, { method: 'GET', path: '/bookings?bookingId=demo-ada' }),
      ],
    ] as const;
    console.log(
      `HTTP over 127.0.0.1, ${CONNECTIONS} connections, ${SECONDS} s per case, SQLite WAL NORMAL, Node ${process.version}`,
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
  } finally {
    await bare.close();
  }
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
