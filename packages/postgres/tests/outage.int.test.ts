import { isTwofoldError, START, streamId } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { postgres } from '../src/index.js';
import { usePostgres } from './server.js';

// A server of its own, with durable commits: this file kills it.
const server = usePostgres({ durable: true });

const event = (n: number) => [{ type: 'test.Happened', data: { n } }];

describe('PostgreSQL going away', () => {
  it('fails calls with UNAVAILABLE instead of crashing or hanging, and works again once the server is back', async () => {
    const schema = server.schema();
    const db = await postgres({ connection: server.url, schema, pollIntervalMs: 50 });
    const { events: store, documents: views } = db;
    try {
      const { position } = await store.append(streamId('s', 1), event(1));
      const waiting = store.waitForEvents(position!, AbortSignal.timeout(30_000));
      const leaseErrors: unknown[] = [];
      const lease = db.runExclusively(
        { name: 'outage', intervalMs: 50, onError: (e) => leaseErrors.push(e) },
        { start: () => {}, stop: () => {} },
      );
      await expect.poll(() => lease.leader).toBe(true);
      server.server.kill();
      // The server's processes outlive a SIGKILLed postmaster for a moment, and may still take an append: the
      // first append that fails must fail with UNAVAILABLE.
      const appended: number[] = [];
      let append: unknown;
      for (let n = 2; append === undefined; n++) {
        append = await store.append(streamId('s', 1), event(n)).then(
          () => void appended.push(n),
          (e: unknown) => e,
        );
      }
      expect(isTwofoldError(append, 'UNAVAILABLE')).toBe(true);
      expect((append as Error).message).toMatch(/PostgreSQL \(schema \w+\) is unreachable: .*; /);
      const read = await store.readAll(START, 10).catch((e: unknown) => e);
      expect(isTwofoldError(read, 'UNAVAILABLE')).toBe(true);
      const query = await views
        .read('p')
        .collection('c')
        .count()
        .catch((e: unknown) => e);
      expect(isTwofoldError(query, 'UNAVAILABLE')).toBe(true);
      // The lease hears of the loss as UNAVAILABLE too, the driver's error as its cause.
      await expect.poll(() => leaseErrors.length).toBeGreaterThan(0);
      await lease.close();
      for (const error of leaseErrors) {
        expect(isTwofoldError(error, 'UNAVAILABLE'), String(error)).toBe(true);
        expect((error as Error).cause).toBeInstanceOf(Error);
      }

      await server.server.restart();
      await expect
        .poll(async () => (await store.append(streamId('s', 1), event(100)).catch(() => undefined)) !== undefined, {
          timeout: 20_000,
        })
        .toBe(true);
      // A reader that waited through the outage is woken by the first commit after it.
      await expect(waiting).resolves.toBeUndefined();
      const all = await store.readAll(START, 10);
      expect(all.map((e) => (e.data as { n: number }).n)).toEqual([1, ...appended, 100]);
    } finally {
      await db.close();
    }
  }, 60_000);
});
