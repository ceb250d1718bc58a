import { type GlobalPosition, type NewEvent, START, streamId } from '@twofold/core';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgres } from '../src/index.js';
import { usePostgres } from './server.js';

// The full run is the default; TWOFOLD_STRESS_EVENTS makes it shorter or longer (the time allowed grows with it).
const TOTAL = Number(process.env.TWOFOLD_STRESS_EVENTS ?? 200_000);
const WRITERS = 16;
const STREAMS = 1_000;

const server = usePostgres();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgresStore under concurrent writers', () => {
  it(
    `hands a catch-up reader every one of ${TOTAL} events exactly once, in order, though commits land out of order`,
    async () => {
      const schema = server.schema();
      const db = await postgres({ connection: server.url, schema, maxConnections: WRITERS + 4 });
      const store = db.events;
      try {
        let reserved = 0;
        let acknowledged = 0;
        let outOfOrder = 0;
        let lastAcknowledged = START;
        const writer = async (w: number) => {
          for (let commit = 0; reserved < TOTAL; commit++) {
            const count = Math.min(1 + Math.floor(Math.random() * 8), TOTAL - reserved);
            reserved += count;
            const events: NewEvent[] = Array.from({ length: count }, (_, i) => ({
              type: 'stress.Happened',
              data: { w, commit, i },
              id: `${w}-${commit}-${i}`,
            }));
            const { position } = await store.commit({
              appends: [
                {
                  streamId: streamId('s', Math.floor(Math.random() * STREAMS)),
                  expectedVersion: 'any',
                  events,
                },
              ],
              // Sleep inside the transaction, after the events took their positions: commits overtake each other.
              participants: [async () => void (await sleep(Math.random() * 4))],
            });
            if (position! < lastAcknowledged) outOfOrder++;
            lastAcknowledged = position!;
            acknowledged += count;
          }
        };

        const seen: string[] = [];
        let duplicates = 0;
        let backwards = 0;
        const ids = new Set<string>();
        let writing = true;
        const reader = (async () => {
          let after = START;
          for (;;) {
            const batch = await store.readAll(after, 1_000);
            for (const event of batch) {
              if (event.position <= after) backwards++;
              if (ids.has(event.id)) duplicates++;
              ids.add(event.id);
              seen.push(event.id);
              after = event.position;
            }
            if (batch.length > 0) continue;
            if (!writing && (await store.head()) === after) return after;
            await store.waitForEvents(after, AbortSignal.timeout(250)).catch(() => {});
          }
        })();

        // For contrast, a naive reader that takes every committed position above its checkpoint, as a sequence
        // would allow. It is expected to skip events; only the store's reader above is held to zero.
        const naive = new pg.Client(server.url);
        await naive.connect();
        const naiveIds = new Set<string>();
        const naiveReader = (async () => {
          let after = '0';
          while (writing) {
            const { rows } = await naive.query<{ id: string; position: string }>(
              `SELECT id, position FROM ${schema}.twofold_events WHERE position > $1 ORDER BY position LIMIT 1000`,
              [after],
            );
            for (const row of rows) naiveIds.add(row.id);
            after = rows.at(-1)?.position ?? after;
            if (rows.length === 0) await sleep(1);
          }
        })();

        await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
        writing = false;
        const last: GlobalPosition = await reader;
        await naiveReader;
        await naive.end();

        const client = new pg.Client(server.url);
        await client.connect();
        const { rows } = await client.query<{ id: string }>(
          `SELECT id FROM ${schema}.twofold_events ORDER BY position`,
        );
        await client.end();
        const stored = rows.map((row) => row.id);
        const skipped = stored.filter((id) => !ids.has(id)).length;
        const naiveSkipped = naiveIds.size === 0 ? 0 : stored.filter((id) => !naiveIds.has(id)).length;
        console.info(
          `no-skip stress: ${WRITERS} writers, ${acknowledged} events acknowledged, ${stored.length} stored, ` +
            `${seen.length} seen by the reader, ${skipped} skipped, ${duplicates} duplicated, ${backwards} out of order; ` +
            `${outOfOrder} commits were acknowledged after a commit with a higher position; ` +
            `a naive reader of committed positions skipped ${naiveSkipped}`,
        );
        expect(acknowledged).toBe(TOTAL);
        expect(stored).toHaveLength(TOTAL);
        expect(skipped).toBe(0);
        expect(duplicates).toBe(0);
        expect(backwards).toBe(0);
        expect(seen).toEqual(stored);
        expect(last).toBe(await store.head());
        // The sleeps must have made commits overtake each other, or the test proved nothing.
        expect(outOfOrder).toBeGreaterThan(0);
      } finally {
        await db.close();
      }
    },
    Math.max(600_000, TOTAL * 3),
  );
});
