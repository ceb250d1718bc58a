import { type Logger, streamId, twofold } from '@twofold/core';
import { processStoreContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { checkout, checkoutRunner, holds, MINUTE, PlaceHold } from '../../../core/tests/fixtures/checkout.js';
import { usePostgres } from '../../tests/server.js';
import { postgres } from '../index.js';

const server = usePostgres();
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

processStoreContract('PostgresProcessStore', async () => {
  const db = await postgres({ connection: server.url, schema: server.schema() });
  return { store: db.processes, commands: db.commands, deadLetters: db.deadLetters, close: () => db.close() };
});

describe('PostgresProcessStore', () => {
  it('keeps timers across a restart of the app, and fires each once', async () => {
    const schema = server.schema();
    let now = Date.now();
    const app = async () =>
      twofold({ store: await postgres({ connection: server.url, schema }), logger: quiet })
        .decider(holds, { stream: ({ data }) => streamId('hold', data.bookingId) })
        .processManager(checkout, { clock: () => now, pollIntervalMs: 10 })
        .worker({ pollIntervalMs: 10 });
    const first = await (await app()).start();
    try {
      await first.send(PlaceHold, { bookingId: 'b1', roomId: '101' });
      await expect
        .poll(() => first.store.processes?.instance('hotel.checkout', 'b1'), { timeout: 10_000 })
        .toMatchObject({ version: 1 });
    } finally {
      await first.close();
    }
    now += 20 * MINUTE;
    const second = await (await app()).start();
    const history = async () =>
      (await second.store.events.readStream(streamId('hold', 'b1'))).map((event) => event.type);
    try {
      await expect
        .poll(history, { timeout: 10_000 })
        .toEqual(['hotel.HoldPlaced', 'hotel.GuestReminded', 'hotel.HoldReleased']);
      const db = await server.database({ schema });
      const runner = checkoutRunner(db, () => now + 60 * MINUTE);
      expect(await runner.fireTimers()).toBe(0);
      expect(await db.processes.instance('hotel.checkout', 'b1')).toMatchObject({
        version: 3,
        closed: true,
        timers: {},
      });
    } finally {
      await second.close();
    }
  });
});
