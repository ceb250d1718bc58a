import {
  type DocumentTx,
  type GlobalPosition,
  type Logger,
  type Projection,
  ProjectionRunner,
  START,
  streamId,
} from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { sqlite } from '../src/index.js';
import { runFixture } from './child-process.js';
import { pragma, rawDatabase } from './raw-database.js';
import { tempDir } from './temp-dir.js';

const temp = tempDir();

interface Row {
  position: number;
  stream_id: string;
  stream_version: number;
  data: string;
}

describe('a process killed with SIGKILL', () => {
  it('in the middle of appends, alone or racing another, leaves every acknowledged event and no partial append', async () => {
    const path = temp.file('crash');
    const acknowledged: { position: number; count: number; stream: string; version: number }[] = [];
    let conflicts = 0;
    // Rounds of [writers, acknowledged appends each before the kill]; two writers race for the same streams.
    const rounds: readonly (readonly [writers: number, after: number])[] = [
      [1, 150],
      [2, 150],
      [1, 40],
      [1, 300],
    ];
    for (const [round, [writers, after]] of rounds.entries()) {
      const children = Array.from({ length: writers }, (_, w) => runFixture('append-loop.ts', [path, `${round}.${w}`]));
      const acks = (lines: string[]) => lines.filter((line) => line !== 'conflict');
      await Promise.all(children.map((child) => child.until(() => acks(child.lines).length >= after)));
      // Racing writers must have collided at least once before the kill, however the machine schedules them.
      if (writers > 1) await Promise.race(children.map((child) => child.until((line) => line === 'conflict')));
      for (const child of children) child.process.kill('SIGKILL');
      for (const child of children) {
        expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
        conflicts += child.lines.length - acks(child.lines).length;
        for (const line of acks(child.lines)) {
          const [position, count, stream, version] = line.split(' ');
          acknowledged.push({
            position: Number(position),
            count: Number(count),
            stream: stream!,
            version: Number(version),
          });
        }
      }
    }
    expect(conflicts).toBeGreaterThan(0);

    // The file opens (recovering its WAL) and passes SQLite's own check.
    const db = sqlite(path);
    const store = db.events;
    const raw = rawDatabase(path);
    try {
      expect(pragma(raw, 'integrity_check')).toBe('ok');
      const rows = raw
        .prepare('SELECT position, stream_id, stream_version, data FROM twofold_events ORDER BY position')
        .all() as Row[];
      const head = await store.head();
      expect(rows.length).toBe(head);
      expect(rows.map((r) => r.position)).toEqual(rows.map((_, i) => i + 1));

      // Every acknowledged append is there, as acknowledged.
      for (const ack of acknowledged) {
        const last = rows[ack.position - 1]!;
        expect(last).toMatchObject({ stream_id: ack.stream, stream_version: ack.version });
        expect(JSON.parse(last.data)).toMatchObject({ count: ack.count, index: ack.count - 1 });
      }
      // Each append is whole: its events are consecutive, numbered 0..count-1.
      const appends = new Map<string, { count: number; indexes: number[]; positions: number[] }>();
      for (const row of rows) {
        const data = JSON.parse(row.data) as { append: string; count: number; index: number };
        const append = appends.get(data.append) ?? { count: data.count, indexes: [], positions: [] };
        append.indexes.push(data.index);
        append.positions.push(row.position);
        appends.set(data.append, append);
      }
      for (const [, append] of appends) {
        expect(append.indexes).toEqual(Array.from({ length: append.count }, (_, i) => i));
        expect(append.positions.at(-1)! - append.positions[0]!).toBe(append.count - 1);
      }
      // Stream versions are contiguous, from 1.
      for (let s = 0; s < 7; s++) {
        const versions = (await store.readStream(streamId('crash', s))).map((e) => e.streamVersion);
        expect(versions).toEqual(versions.map((_, i) => i + 1));
      }
      // And the store keeps working after the crash.
      const after = await store.append(streamId('crash', 0), [{ type: 'test.After', data: {} }]);
      expect(after.position).toBe(head + 1);
    } finally {
      raw.close();
      await db.close();
    }
  });

  it('during a projection catch-up never applies an event twice after a restart', async () => {
    const writePath = temp.file('write');
    const readPath = temp.file('read');
    const total = 20_000;
    const setupDb = sqlite(writePath);
    const setup = setupDb.events;
    for (let batch = 0; batch < total / 1_000; batch++) {
      await setup.commit({
        appends: Array.from({ length: 10 }, (_, s) => ({
          streamId: streamId('counted', `${batch}-${s}`),
          expectedVersion: 'no-stream' as const,
          events: Array.from({ length: 100 }, (_, n) => ({ type: 'test.Counted', data: { n } })),
        })),
      });
    }
    expect(await setup.head()).toBe(total);
    await setupDb.close();

    const child = runFixture('catch-up.ts', [writePath, readPath]);
    const killedAt = Number(await child.until((line) => Number(line) >= 3_000));
    child.process.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    expect(child.lines.some((line) => line.startsWith('done'))).toBe(false);

    const writes = sqlite(writePath);
    const reads = sqlite(readPath);
    const events = writes.events;
    const views = reads.documents;
    const slot = { projection: 'counting', version: 1 };
    try {
      // What the killed process committed: its checkpoint and its read model agree, whatever batch it died in.
      const checkpoint = await views.checkpoint(slot);
      expect(checkpoint).toBeGreaterThanOrEqual(killedAt);
      expect(checkpoint).toBeLessThan(total);
      const read = views.read('counting');
      expect((await read.collection<{ count: number }>('total').get('all'))?.count).toBe(checkpoint);

      const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
      const counting: Projection<DocumentTx> = {
        name: 'counting',
        version: 1,
        eventTypes: new Set(['test.Counted']),
        apply: async (event, tx) => {
          const sum = tx.collection<{ count: number }>('total');
          sum.put('all', { count: ((await sum.get('all'))?.count ?? 0) + 1 });
          const seen = tx.collection<{ times: number }>('seen');
          const id = String(event.position);
          seen.put(id, { times: ((await seen.get(id))?.times ?? 0) + 1 });
        },
      };
      const runner = new ProjectionRunner({
        projection: counting,
        store: views,
        feed: events,
        batchSize: 500,
        logger: quiet,
      });
      expect(await runner.catchUp()).toBe(total);
      expect((await read.collection<{ count: number }>('total').get('all'))?.count).toBe(total);
      const seen = read.collection<{ times: number }>('seen');
      expect(await seen.count()).toBe(total);
      expect(await seen.count({ times: 1 })).toBe(total);
      expect(await views.checkpoint(slot)).toBe(total as GlobalPosition);
      expect(await events.readAll(START, 1)).toHaveLength(1);
    } finally {
      await writes.close();
      await reads.close();
    }
  });
});
