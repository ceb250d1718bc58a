// Billing's dead letters when billing is a process of its own: the hotel (WORKERS=0), a worker process and billing
// as `npm run billing` runs it, over a throwaway nats-server, on SQLite files. Billing parks two refund requests:
// one whose data does not match hotel.RefundRequested's schema, and one its database refuses (a trigger on its
// command queue). A manager lists both through the hotel, the first with the field that is wrong; a replay through
// the hotel runs in billing and fails again; once the database is fixed, a replay queued with `Prefer:
// respond-async` runs in the worker process and completes the cancellation. A billing that does not answer is a 503
// that names it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { createClient } from '@twofold/client';
import { NATS_HEADERS } from '@twofold/nats';
import { type Child, type NatsServer, runTypeScript, startNats } from '@twofold/test-servers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type HotelProcess, startHotelProcess } from '../../../../bench/reliability/hotel-process.js';
import { openTarget, type Target } from '../../../../bench/reliability/target.js';
import { addDays, today } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking } from '../../src/messages/commands.js';
import type { DeadLetterView } from '../../src/services/dead-letters.js';
import { STREAMS } from '../../src/services/nats-transport.js';
import { MAX_DELIVERIES } from '../../src/services/transport.js';
import { bearer, cancellationCompleted, signIn } from './setup.js';

const src = join(fileURLToPath(new URL('../..', import.meta.url)), 'src');
const RAW = 'disk I/O error: billing volume is read-only';
const MALFORMED = 'malformed-1';

let target: Target;
let nats: NatsServer;
let billing: Child;
let worker: Child;
let hotel: HotelProcess;
let token: string;

function billingDb(work: (db: Database.Database) => unknown): void {
  const db = new Database(join(target.env.DATA_DIR!, 'billing.db'));
  try {
    work(db);
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  [target, nats] = await Promise.all([openTarget('sqlite'), startNats()]);
  const env = { ...target.env, NATS_URL: nats.url, LOG_LEVEL: 'error' };
  billing = runTypeScript(join(src, 'services', 'billing', 'main.ts'), [], { env });
  await billing.until((line) => line.startsWith('Twofold Hotel billing'));
  hotel = await startHotelProcess({ ...target, env: { ...env, WORKERS: '0' } }, 0);
  worker = runTypeScript(join(src, 'worker.ts'), [], { env });
  await worker.until((line) => line.startsWith('Twofold Hotel worker'));
  token = await signIn(hotel.api, 'mia', 'manager');
}, 60_000);

afterAll(async () => {
  await hotel?.stop();
  for (const child of [worker, billing]) {
    if (child === undefined) continue;
    child.process.kill('SIGCONT');
    child.process.kill('SIGTERM');
    await child.exited;
  }
  await nats?.stop();
  await target?.close();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${hotel.api}${path}`, {
    ...init,
    headers: { ...bearer(token), 'content-type': 'application/json', ...init.headers },
  });

async function deadLetters(): Promise<DeadLetterView[]> {
  const response = await api('/queries/hotel.ServiceDeadLetters');
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { result: { items: DeadLetterView[] } }).result.items;
}

const replay = (id: string, prefer?: string) =>
  api('/commands/hotel.ReplayDeadLetter', {
    method: 'POST',
    body: JSON.stringify({ id }),
    headers: prefer === undefined ? {} : { prefer },
  });

describe('billing in its own process, over NATS', () => {
  it("lists billing's parked refund requests through the hotel, naming the field a malformed one got wrong", async () => {
    billingDb((db) =>
      db.exec(
        `CREATE TRIGGER refuse_commands BEFORE INSERT ON twofold_commands BEGIN SELECT RAISE(ABORT, '${RAW}'); END`,
      ),
    );
    // A refund request as the hotel's relay publishes one, but with an amount that is not a number.
    const nc = await connect({ servers: nats.url });
    try {
      const wire = headers();
      wire.set(NATS_HEADERS.type, 'hotel.RefundRequested');
      wire.set(NATS_HEADERS.position, '1');
      const body = {
        streamId: `cancellation-${MALFORMED}`,
        streamVersion: 1,
        data: { bookingId: MALFORMED, guestId: 'kim', amount: 'ten' },
        metadata: {},
        timestamp: Date.now(),
        schemaVersion: 1,
      };
      await jetstream(nc).publish(`${STREAMS.hotel.prefix}.hotel.RefundRequested`, JSON.stringify(body), {
        msgID: MALFORMED,
        headers: wire,
      });
    } finally {
      await nc.close();
    }
    const client = createClient({ baseUrl: hotel.api, headers: bearer(token) });
    const from = addDays(today(), 500);
    await client.send(BookRoom, {
      bookingId: 'poison-nats',
      roomId: '201',
      guestId: 'kim',
      from,
      to: addDays(from, 2),
    });
    await client.send(CancelBooking, { bookingId: 'poison-nats', reason: 'plans changed' });

    // Billing is another process, which tells the hotel nothing when it parks a message: its dead letters are polled.
    // Past the timeout, the checks below say what was parked by then.
    let letters: DeadLetterView[] = [];
    const bothParked = async () => {
      letters = await deadLetters();
      return letters.length >= 2;
    };
    await vi.waitUntil(bothParked, { timeout: 60_000, interval: 200 }).catch(() => undefined);
    const malformed = letters.find((letter) => letter.id === `billing:${MALFORMED}`);
    expect(malformed).toMatchObject({
      consumer: 'billing',
      type: 'hotel.RefundRequested',
      streamId: `cancellation-${MALFORMED}`,
      attempts: MAX_DELIVERIES,
    });
    expect(malformed!.problem).toBe(
      `billing could not take in hotel.RefundRequested for cancellation-${MALFORMED} after ${MAX_DELIVERIES} attempts: its data does not match the event's schema: amount: Invalid input: expected number, received string`,
    );
    const refused = letters.find((letter) => letter !== malformed);
    expect(refused).toMatchObject({ consumer: 'billing', type: 'hotel.RefundRequested', attempts: MAX_DELIVERIES });
    expect(refused!.problem).toBe(
      `billing could not take in hotel.RefundRequested for ${refused!.streamId} after ${MAX_DELIVERIES} attempts (details in the server log)`,
    );
    expect(JSON.stringify(letters)).not.toContain(RAW);
  }, 90_000);

  it('replays in billing through the hotel: a malformed request fails again and stays parked', async () => {
    const again = await replay(`billing:${MALFORMED}`);
    expect(again.status, await again.clone().text()).toBe(422);
    expect(await again.json()).toMatchObject({ code: 'DOMAIN_RULE', rule: 'STILL_FAILING' });
    expect((await deadLetters()).find((letter) => letter.id === `billing:${MALFORMED}`)).toMatchObject({
      attempts: MAX_DELIVERIES + 1,
    });
    const unknown = await replay('billing:no-such-letter');
    expect(unknown.status).toBe(404);
  });

  it('runs a replay queued with Prefer: respond-async in the worker process, which completes the cancellation', async () => {
    const [refused] = (await deadLetters()).filter((letter) => letter.id !== `billing:${MALFORMED}`);
    billingDb((db) => db.exec('DROP TRIGGER refuse_commands'));
    const accepted = await replay(refused!.id, 'respond-async');
    expect(accepted.status, await accepted.clone().text()).toBe(202);
    const status = await fetch(new URL(accepted.headers.get('location')!, hotel.api), {
      headers: { ...bearer(token), prefer: 'wait=20' },
    });
    expect(await status.json()).toMatchObject({ status: 'succeeded' });
    const client = createClient({ baseUrl: hotel.api, headers: bearer(token) });
    expect(await cancellationCompleted(client, 'poison-nats', 30_000)).toMatchObject({ refund: 'done' });
    expect((await deadLetters()).map((letter) => letter.id)).toEqual([`billing:${MALFORMED}`]);
    // The malformed request queued nothing in billing: no command that could only fail.
    billingDb((db) =>
      expect(db.prepare('SELECT id FROM twofold_commands').all()).toEqual([
        { id: `billing.IssueRefund:${refused!.id.slice('billing:'.length)}` },
      ]),
    );
  }, 60_000);

  it('answers 503, naming billing, when billing does not answer in time', async () => {
    billing.process.kill('SIGSTOP');
    try {
      for (const response of [await api('/queries/hotel.ServiceDeadLetters'), await replay(`billing:${MALFORMED}`)]) {
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({
          code: 'UNAVAILABLE',
          detail: expect.stringContaining('billing did not answer for its dead letters within 2000 ms'),
        });
      }
    } finally {
      billing.process.kill('SIGCONT');
    }
    expect((await deadLetters()).map((letter) => letter.id)).toEqual([`billing:${MALFORMED}`]);
  }, 30_000);
});
