import { isTwofoldError, START, streamId } from '@twofold/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgres } from '../src/index.js';
import { usePostgres } from './server.js';

const server = usePostgres();

describe('errors of the PostgreSQL stores', () => {
  it('a closed handle fails waiting readers (one still reading the head when it closed too), and later calls, with UNAVAILABLE', async () => {
    const db = await postgres({ connection: server.url, schema: server.schema() });
    const store = db.events;
    const waiting = store.waitForEvents(START, AbortSignal.timeout(10_000)).catch((e: unknown) => e);
    await db.close();
    const failures = [
      await waiting,
      await store.waitForEvents(START, AbortSignal.timeout(10_000)).catch((e: unknown) => e),
      await store.readAll(START, 10).catch((e: unknown) => e),
      await store.append(streamId('s', 1), [{ type: 'test.Happened', data: {} }]).catch((e: unknown) => e),
    ];
    for (const failure of failures) {
      expect(isTwofoldError(failure, 'UNAVAILABLE'), String(failure)).toBe(true);
    }
    expect((failures[0] as Error).message).toMatch(/PostgresStore \(schema \w+\) is closed/);
  });

  it("fails with UNAVAILABLE, the pool's error as its cause, when no connection frees up in time", async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 1, connectionTimeoutMillis: 200 });
    const db = await postgres({ connection: pool });
    const store = db.events;
    const held = await pool.connect();
    try {
      const failure = await store.readAll(START, 10).catch((e: unknown) => e);
      expect(isTwofoldError(failure, 'UNAVAILABLE'), String(failure)).toBe(true);
      expect((failure as Error).message).toMatch(/timeout exceeded when trying to connect/);
      expect((failure as Error).cause).toBeInstanceOf(Error);
    } finally {
      held.release();
      await db.close();
      await pool.end();
    }
  });
});
