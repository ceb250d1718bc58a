import { streamId } from '@twofold/core';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../../tests/server.js';
import { EVENTS_PER_COMMIT } from './schema.js';

const server = usePostgres();
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const closeable of opened.splice(0)) await closeable.close();
});

describe('PostgresStore.ceiling', () => {
  it('is at or above every committed position, visible yet or not, and below what no transaction has reached', async () => {
    const store = (await server.database()).events;
    const first = await store.append(streamId('c', 1), [{ type: 'test.Happened', data: {} }]);
    expect(await store.ceiling()).toBeGreaterThanOrEqual(first.position!);

    // A transaction that began before the next commit and is still open: readers may not see past it yet, but
    // the position that commit handed out is one the log has reached.
    const other = new pg.Client(server.url);
    await other.connect();
    opened.push({ close: () => other.end() });
    await other.query('BEGIN');
    await other.query('SELECT pg_current_xact_id()');
    const hidden = await store.append(streamId('c', 2), [{ type: 'test.Happened', data: {} }]);
    const ceiling = await store.ceiling();
    expect(ceiling).toBeGreaterThanOrEqual(hidden.position!);
    expect(ceiling).toBeGreaterThanOrEqual(await store.head());
    // Only transactions begun since could write above it, each at most one commit's worth.
    expect(ceiling - hidden.position!).toBeLessThan(4 * EVENTS_PER_COMMIT);
    expect(ceiling).toBeLessThan(Number.MAX_SAFE_INTEGER);
    await other.query('ROLLBACK');
  });
});
