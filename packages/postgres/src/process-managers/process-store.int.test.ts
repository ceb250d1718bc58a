import { type Logger, streamId, twofold } from '@twofold/core';
import { processStoreContract } from '@twofold/core/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { checkout, checkoutRunner, holds, MINUTE, PlaceHold } from '../../../core/tests/fixtures/checkout.js';
import { usePostgres } from '../../tests/server.js';
import { postgres } from '../index.js';
import { PRUNE_CLOSED } from './process-store.js';

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

  it('finds the closed instances to prune through the index of closed instances, not among the open ones', async () => {
    const schema = server.schema();
    const db = await server.database({ schema });
    const instance = { state: {}, version: 1, closed: false, timers: {} };
    for (let i = 0; i < 100; i++) {
      const closed = i % 10 === 0;
      await db.processes.commit({
        manager: 'pm',
        correlation: `b${i}`,
        instance: { ...instance, closed },
        commands: [],
      });
    }
    const client = new pg.Client({ connectionString: server.url, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query('ANALYZE twofold_process_instances');
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query(`EXPLAIN ${PRUNE_CLOSED}`, ['pm', Date.now(), 100]);
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('twofold_process_instances_closed');
    } finally {
      await client.end();
    }
  });
});
