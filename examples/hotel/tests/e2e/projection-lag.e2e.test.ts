// ProjectionLag tells a manager, and only a manager, which part of the read side is stuck and where, in words;
// the store's own error goes to the log alone. Here the SQLite read store refuses every row the bookings
// projection writes, with the message PostgreSQL gave for the NUL in a guest's name.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@twofold/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/server.js';
import { addDays } from '../../src/domain/dates.js';
import { BookRoom } from '../../src/messages/commands.js';
import type { LagView } from '../../src/messages/queries.js';
import { as, bearer, signIn, startHotel, TODAY } from './setup.js';

const RAW = 'invalid input syntax for type json';
const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-lag-'));
const logged: { bindings: Record<string, unknown>; message: string | undefined }[] = [];
let bookingsFailed: () => void;
const failed = new Promise<void>((resolve) => {
  bookingsFailed = resolve;
});
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (bindings, message) => {
    logged.push({ bindings: bindings as Record<string, unknown>, message });
    if ((bindings as { projection?: unknown }).projection === 'bookings') bookingsFailed();
  },
};

let app: App;
beforeAll(async () => {
  app = await startHotel({ dataDir, readSideLogger: logger });
});
afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function refuseBookingRows(): void {
  const db = new Database(join(dataDir, 'hotel-reads.db'));
  try {
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'twofold_doc:bookings@%'",
      )
      .all();
    expect(tables.length).toBeGreaterThan(0);
    for (const [i, { name }] of tables.entries()) {
      for (const on of ['INSERT', 'UPDATE']) {
        db.exec(
          `CREATE TRIGGER refuse_${on}_${i} BEFORE ${on} ON "${name.replaceAll('"', '""')}" BEGIN SELECT RAISE(ABORT, '${RAW}'); END`,
        );
      }
    }
  } finally {
    db.close();
  }
}

it('summarizes a stuck projection for a manager, keeps the raw error in the log, and shows it to no one else', async () => {
  refuseBookingRows();
  const { position } = await app.hotel.mediator.execute(
    BookRoom,
    { bookingId: 'lag-1', roomId: '102', guestId: 'ada', from: addDays(TODAY, 4), to: addDays(TODAY, 5) },
    as('mia', 'manager'),
  );
  await failed;

  const ask = (token?: string) =>
    app.server.inject({ url: '/api/queries/hotel.ProjectionLag', headers: token === undefined ? {} : bearer(token) });
  const answer = await ask(await signIn(app, 'mia', 'manager'));
  expect(answer.statusCode).toBe(200);
  expect(answer.body).not.toContain(RAW);
  const { result } = answer.json() as { result: LagView };
  const bookings = result.projections.find((p) => p.name === 'bookings');
  const stopped =
    /^projection bookings stopped at position (\d+): the read store refused the event \(details in the server log\)$/.exec(
      bookings?.error ?? '',
    );
  expect(stopped, bookings?.error ?? 'no error').not.toBeNull();
  expect(Number(stopped![1])).toBeLessThanOrEqual(position!);
  expect(result.projections.find((p) => p.name === 'availability')?.error).toBeNull();
  expect(result.processManagers.map((m) => [m.name, m.running, m.error])).toEqual([
    ['hotel.holds', true, null],
    ['hotel.cancellation', true, null],
  ]);
  for (const m of result.processManagers) {
    expect(m.head).toBeGreaterThanOrEqual(position!);
    expect(m.position).toBeLessThanOrEqual(m.head);
    expect(m.deadLetters).toBe(0);
  }

  const entry = logged.find((e) => e.bindings.projection === 'bookings');
  expect((entry?.bindings.err as Error | undefined)?.message).toContain(RAW);

  for (const [token, status] of [
    [await signIn(app, 'fred', 'frontdesk'), 403],
    [await signIn(app, 'ada', 'guest'), 403],
    [undefined, 401],
  ] as const) {
    const refused = await ask(token);
    expect(refused.statusCode).toBe(status);
    expect(refused.body).not.toContain(RAW);
  }
});
