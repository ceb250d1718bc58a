import {
  defineEvent,
  type GlobalPosition,
  MemoryStore,
  ProjectionRunner,
  projection,
  START,
  type StreamId,
} from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usePostgres } from '../../tests/server.js';
import { type PostgresClient, type PostgresTableStore, slotTable } from '../index.js';

const server = usePostgres();
async function open(): Promise<PostgresTableStore> {
  return (await server.database()).tables;
}
const at = (n: number) => n as GlobalPosition;
const Booked = defineEvent('hotel.NightBooked', z.object({ roomId: z.string(), night: z.string() }));

describe('PostgresTableStore', () => {
  it('keeps plain SQL tables per version, fed by a runner, and drops the old version on activation', async () => {
    const tables = await open();
    tables.define('nights', (tx, table) =>
      tx.query(`CREATE TABLE ${table('booked')} (room_id text, night date, PRIMARY KEY (room_id, night))`),
    );
    const nights = (version: number) =>
      projection<PostgresClient>('nights', version).on(Booked, async ({ roomId, night }, tx) => {
        await tx.query(`INSERT INTO ${slotTable({ projection: 'nights', version }, 'booked')} VALUES ($1, $2)`, [
          roomId,
          night,
        ]);
      });
    const log = new MemoryStore();
    for (const night of ['2026-12-01', '2026-12-02'])
      await log.append('booking-1' as StreamId, [{ type: Booked.type, data: { roomId: 'r1', night } }]);
    const runner = new ProjectionRunner({ projection: nights(1), store: tables, feed: log });
    runner.start();
    await expect.poll(() => tables.checkpoint({ projection: 'nights', version: 1 })).toBe(2);
    await runner.stop();
    await tables.activate({ projection: 'nights', version: 1 });
    const read = () =>
      tables.query('nights', (sql, table) =>
        sql<{ night: string }>(`SELECT to_char(night, 'YYYY-MM-DD') AS night FROM ${table('booked')} ORDER BY night`),
      );
    expect((await read()).map((r) => r.night)).toEqual(['2026-12-01', '2026-12-02']);

    await tables.commit({ projection: 'nights', version: 2 }, START, at(9), async (tx) => {
      await tx.query(
        `INSERT INTO ${slotTable({ projection: 'nights', version: 2 }, 'booked')} VALUES ('r2', '2027-01-01')`,
      );
    });
    expect((await read()).map((r) => r.night)).toEqual(['2026-12-01', '2026-12-02']);
    await tables.activate({ projection: 'nights', version: 2 });
    expect((await read()).map((r) => r.night)).toEqual(['2027-01-01']);
    const exists = (version: number) =>
      tables.query('nights', (sql) =>
        sql<{ table: string | null }>('SELECT to_regclass($1)::text AS table', [
          slotTable({ projection: 'nights', version }, 'booked'),
        ]),
      );
    expect(await exists(1)).toEqual([{ table: null }]);
    expect(await exists(2)).toEqual([{ table: '"nights@2.booked"' }]);
    expect(await tables.checkpoint({ projection: 'nights', version: 1 })).toBe(START);
  });

  it('reads again from the new version when an activation drops the tables a query was about to read', async () => {
    const tables = await open();
    tables.define('rooms', (tx, table) => tx.query(`CREATE TABLE ${table('list')} (id text)`));
    const slot = (version: number) => ({ projection: 'rooms', version });
    const fill = (version: number) =>
      tables.commit(slot(version), START, at(version), async (tx) => {
        await tx.query(`INSERT INTO ${slotTable(slot(version), 'list')} VALUES ('room of v${version}')`);
      });
    await fill(1);
    await tables.activate(slot(1));
    await fill(2);
    const seen: string[] = [];
    const rows = await tables.query('rooms', async (sql, table) => {
      seen.push(table('list'));
      // Another node activates version 2 between this query's lookup and its SQL.
      if (seen.length === 1) await tables.activate(slot(2));
      return sql<{ id: string }>(`SELECT id FROM ${table('list')}`);
    });
    expect(rows).toEqual([{ id: 'room of v2' }]);
    expect(seen).toEqual(['"rooms@1.list"', '"rooms@2.list"']);
    await expect(tables.query('rooms', (sql) => sql('SELECT * FROM "no such table"'))).rejects.toMatchObject({
      code: '42P01',
    });
  });

  it('rolls back the SQL and keeps the checkpoint when the work throws', async () => {
    const tables = await open();
    tables.define('counts', (tx, table) => tx.query(`CREATE TABLE ${table('n')} (n int)`));
    const slot = { projection: 'counts', version: 1 };
    await tables.activate(slot);
    await expect(
      tables.commit(slot, START, at(3), async (tx) => {
        await tx.query(`INSERT INTO ${slotTable(slot, 'n')} VALUES (1)`);
        throw new Error('half way');
      }),
    ).rejects.toThrow('half way');
    expect(await tables.checkpoint(slot)).toBe(START);
    expect(await tables.query('counts', (sql, table) => sql(`SELECT * FROM ${table('n')}`))).toEqual([]);
  });

  it('says what is wrong with a bad definition or query', async () => {
    const tables = await open();
    tables.define('x', async () => {});
    expect(() => tables.define('x', async () => {})).toThrow(/already defined/);
    expect(() => tables.define('y', 'CREATE' as never)).toThrow(/must be a function/);
    await expect(tables.query('never', () => 1)).rejects.toThrow(/has no active version yet/);
    expect(() => slotTable({ projection: 'p'.repeat(60), version: 1 }, 'table')).toThrow(/63-byte names/);
  });
});
