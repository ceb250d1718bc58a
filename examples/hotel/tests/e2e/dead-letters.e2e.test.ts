// A poison event between the hotel and billing: billing's database refuses what its inbox writes for a refund
// request (a trigger on its command queue, as a broken schema or a full disk would), so the request fails each
// delivery and is parked after the last. A manager sees it, in words, with hotel.ServiceDeadLetters; a replay
// before the cause is fixed fails and keeps it; once fixed, a replay queued with `Prefer: respond-async` completes
// the cancellation with one refund. The app runs no worker (WORKERS=0): a worker process, as `npm run worker` runs
// it on the same DATA_DIR, runs the queued commands, the replay among them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@twofold/client';
import { START } from '@twofold/core';
import { type Child, runTypeScript } from '@twofold/test-servers';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { CancellationProgress } from '../../src/cancellation/queries.js';
import { addDays } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking, RegisterRoom } from '../../src/messages/commands.js';
import { ReplayDeadLetter, ServiceDeadLetters } from '../../src/services/dead-letters.js';
import { MAX_DELIVERIES } from '../../src/services/transport.js';
import { cancellationCompleted, injectClient, signIn, startHotel, TODAY } from './setup.js';

const RAW = 'disk I/O error: billing volume is read-only';
const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-dead-letters-'));
const workerEntry = join(fileURLToPath(new URL('../..', import.meta.url)), 'src', 'worker.ts');
let app: App;
let worker: Child;
let manager: Client;
beforeAll(async () => {
  app = await startHotel({ dataDir, seed: false, workers: 0 });
  manager = injectClient(app.server, await signIn(app, 'mia', 'manager'));
  worker = runTypeScript(workerEntry, [], { env: { DATA_DIR: dataDir, LOG_LEVEL: 'error' } });
  await worker.until((line) => line.startsWith('Twofold Hotel worker'));
}, 60_000);
afterAll(async () => {
  worker?.process.kill('SIGTERM');
  await worker?.exited;
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function billingDb<T>(work: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'billing.db'));
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Resolves once billing, in the app's process, has parked an event its link could not deliver. */
function parking(): Promise<void> {
  const letters = app.billing.billing!.receiver.deadLetters;
  const add = letters.add.bind(letters);
  return new Promise((resolve) => {
    letters.add = async (letter) => {
      await add(letter);
      letters.add = add;
      resolve();
    };
  });
}

it('parks a refund request billing cannot take in, shows it to a manager, and replays it once the cause is fixed', async () => {
  billingDb((db) =>
    db.exec(
      `CREATE TRIGGER refuse_commands BEFORE INSERT ON twofold_commands BEGIN SELECT RAISE(ABORT, '${RAW}'); END`,
    ),
  );
  const parked = parking();
  await manager.send(RegisterRoom, { roomId: '701', number: '701', type: 'single', pricePerNight: 80 });
  const from = addDays(TODAY, 3);
  await manager.send(BookRoom, { bookingId: 'poison-1', roomId: '701', guestId: 'kim', from, to: addDays(from, 2) });
  await manager.send(CancelBooking, { bookingId: 'poison-1', reason: 'plans changed' });

  await parked;
  const {
    items: [letter, ...others],
  } = await manager.ask(ServiceDeadLetters, {});
  expect(others).toEqual([]);
  expect(letter).toMatchObject({
    consumer: 'billing',
    type: 'hotel.RefundRequested',
    attempts: MAX_DELIVERIES,
    problem: `billing could not take in hotel.RefundRequested for ${letter!.streamId} after ${MAX_DELIVERIES} attempts (details in the server log)`,
  });
  const listed = await app.server.inject({
    url: '/api/queries/hotel.ServiceDeadLetters',
    headers: { authorization: `Bearer ${await signIn(app, 'mia', 'manager')}` },
  });
  expect(listed.body).not.toContain(RAW);
  expect(await manager.ask(CancellationProgress, { bookingId: 'poison-1' })).toMatchObject({
    refund: 'pending',
    completed: false,
  });

  // Replayed before the cause is fixed: refused in words, still parked, one attempt more.
  const token = await signIn(app, 'mia', 'manager');
  const again = await app.server.inject({
    method: 'POST',
    url: '/api/commands/hotel.ReplayDeadLetter',
    payload: { id: letter!.id },
    headers: { authorization: `Bearer ${token}` },
  });
  expect(again.statusCode, again.body).toBe(422);
  expect(again.json()).toMatchObject({ code: 'DOMAIN_RULE', rule: 'STILL_FAILING' });
  expect(again.body).not.toContain(RAW);
  expect(await manager.ask(ServiceDeadLetters, {})).toMatchObject({
    items: [{ id: letter!.id, attempts: MAX_DELIVERIES + 1 }],
    next: null,
  });

  billingDb((db) => db.exec('DROP TRIGGER refuse_commands'));
  const replayed = await manager.waitFor(await manager.enqueue(ReplayDeadLetter, { id: letter!.id }), {
    timeoutMs: 20_000,
  });
  expect(replayed.status).toBe('succeeded');
  expect(await manager.ask(ServiceDeadLetters, {})).toEqual({ items: [], next: null });
  expect(await cancellationCompleted(manager, 'poison-1')).toMatchObject({ refund: 'done', completed: true });
  const billed = (await app.billing.billing!.db.events.readAll(START, 1000)).filter(
    (e) => e.type === 'billing.RefundIssued',
  );
  expect(billed.map((e) => (e.data as { bookingId: string }).bookingId)).toEqual(['poison-1']);
  expect((await app.stores.effects.list('refunds', { bookingId: 'poison-1' }, { limit: 10 })).items).toHaveLength(1);

  // Replayed twice: nothing is parked under that id any more.
  await expect(manager.send(ReplayDeadLetter, { id: letter!.id })).rejects.toMatchObject({ status: 404 });
});
