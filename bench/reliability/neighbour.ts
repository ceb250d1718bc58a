// The hostile neighbour: read-your-writes on the hotel over PostgreSQL, measured alone, then again while an
// unrelated transaction stays open in another database of the same server. Only the store's own writers may
// hold its readers back, so the second p99 must be the first's.
import type { Agent } from 'node:http';
import pg from 'pg';
import { addDays, today } from '../../examples/hotel/src/domain/dates.js';
import { bearer, signIn } from '../../examples/hotel/tests/e2e/setup.js';
import { startHotelProcess } from './hotel-process.js';
import { json, keepAlive, send } from './http.js';
import type { Target } from './target.js';

export interface NeighbourOptions {
  /** A PostgreSQL target. */
  readonly target: Target;
  /** How long each phase samples. */
  readonly seconds: number;
  /** Guests booking and reading back at once. Default 4. */
  readonly clients?: number;
  readonly log?: (line: string) => void;
}

export interface Phase {
  /** Reads, answered or refused; a refused read counts with the time it took. */
  readonly samples: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  /** The first error, if any. */
  readonly error: string | undefined;
}

export interface NeighbourReport {
  readonly alone: Phase;
  readonly neighbour: Phase;
}

/**
 * Measures read-your-writes alone and beside an open transaction in another database.
 *
 * @example
 * const { alone, neighbour } = await runNeighbour({ target, seconds: 30 });
 */
export async function runNeighbour(options: NeighbourOptions): Promise<NeighbourReport> {
  const { target } = options;
  if (target.postgres === undefined) throw new Error('The hostile neighbour needs PostgreSQL');
  const agent = keepAlive(64);
  const hotel = await startHotelProcess(target, 0);
  const admin = new pg.Client({ connectionString: target.postgres.url });
  await admin.connect();
  await admin.query('CREATE DATABASE neighbour');
  const neighbour = new pg.Client({ connectionString: target.postgres.urlFor('neighbour') });
  await neighbour.connect();
  try {
    const manager = bearer(await signIn(hotel.api, 'neighbour', 'manager'));
    const guests = await Promise.all(
      Array.from({ length: options.clients ?? 4 }, async (_, i) => ({
        id: `reader-${i}`,
        headers: bearer(await signIn(hotel.api, `reader-${i}`, 'guest')),
        nights: 0,
      })),
    );
    // Each guest books the next free night of rooms of its own, so that no sample is refused.
    const room = async (guest: (typeof guests)[number]) => {
      const roomId = `${guest.id}-${Math.floor(guest.nights / 700)}`;
      if (guest.nights % 700 === 0) {
        const answer = await send(agent, {
          method: 'POST',
          url: `${hotel.api}/commands/hotel.RegisterRoom`,
          headers: { ...manager, 'content-type': 'application/json' },
          body: JSON.stringify({ roomId, number: roomId.slice(-10), type: 'single', pricePerNight: 50 }),
        });
        if (answer.status !== 200) throw new Error(`RegisterRoom: ${answer.status} ${answer.body}`);
      }
      return { roomId, from: addDays(today(), 1 + (guest.nights++ % 700)) };
    };
    let n = 0;
    const phase = async (name: string): Promise<Phase> => {
      const latencies: number[] = [];
      const errors: string[] = [];
      const end = performance.now() + options.seconds * 1000;
      await Promise.all(
        guests.map(async (guest) => {
          while (performance.now() < end) {
            const sample = await readYourWrite(agent, hotel.api, guest, {
              bookingId: `${name}-${n++}`,
              ...(await room(guest)),
            });
            if (sample.took !== undefined) latencies.push(sample.took);
            if (sample.error !== undefined) errors.push(sample.error);
          }
        }),
      );
      const sorted = latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
      const result = {
        samples: sorted.length,
        errors: errors.length,
        p50: at(0.5),
        p99: at(0.99),
        error: errors[0],
      };
      options.log?.(
        `${name}: ${result.samples} samples, ${result.errors} errors, p50 ${result.p50} ms, p99 ${result.p99} ms`,
      );
      return result;
    };
    const alone = await phase('alone');
    await neighbour.query('BEGIN');
    await neighbour.query('SELECT pg_current_xact_id()');
    const beside = await phase('beside an open transaction');
    await neighbour.query('COMMIT');
    await hotel.stop();
    return { alone, neighbour: beside };
  } finally {
    await neighbour.end();
    await admin.end();
    await hotel.kill();
    agent.destroy();
  }
}

/**
 * Books a night and reads it back at once: how long the read took (a refused read counts with the time it took to
 * be refused), and what went wrong.
 */
async function readYourWrite(
  agent: Agent,
  api: string,
  guest: { readonly id: string; readonly headers: Readonly<Record<string, string>> },
  stay: { readonly bookingId: string; readonly roomId: string; readonly from: string },
): Promise<{ readonly took?: number; readonly error?: string }> {
  const booked = await send(agent, {
    method: 'POST',
    url: `${api}/commands/hotel.BookRoom`,
    headers: { ...guest.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ ...stay, guestId: guest.id, to: addDays(stay.from, 1) }),
  });
  if (booked.status !== 200) return { error: `BookRoom: ${booked.status} ${booked.body.slice(0, 200)}` };
  const { position } = json<{ position: number }>(booked);
  const started = performance.now();
  const read = await send(agent, {
    method: 'GET',
    url: `${api}/queries/hotel.BookingDetails?bookingId=${stay.bookingId}`,
    headers: { ...guest.headers, 'twofold-after': String(position) },
  });
  const took = performance.now() - started;
  if (read.status !== 200)
    return { took, error: `BookingDetails after ${position}: ${read.status} ${read.body.slice(0, 200)}` };
  if (json<{ result: unknown }>(read).result === null)
    return { took, error: `BookingDetails after ${position}: not found` };
  return { took };
}
