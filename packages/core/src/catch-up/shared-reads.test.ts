import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { type GlobalPosition, globalPosition, START } from '../positions/position.js';
import { SharedReads } from './shared-reads.js';

/** A memory store that counts the reads of its log. */
class CountingLog extends MemoryStore {
  reads = 0;
  override readAll(after: GlobalPosition, limit: number) {
    this.reads++;
    return super.readAll(after, limit);
  }
  add(count: number) {
    const events = Array.from({ length: count }, (_, i) => ({ type: 'test.Happened', data: { i } }));
    return this.append(streamId('test'), events);
  }
}

describe('SharedReads', () => {
  it('is one per feed', () => {
    const log = new CountingLog();
    expect(SharedReads.of(log)).toBe(SharedReads.of(log));
    expect(SharedReads.of(new CountingLog())).not.toBe(SharedReads.of(log));
  });

  it('reads the log once for runners that ask for the same batch', async () => {
    const log = new CountingLog();
    await log.add(3);
    const reads = SharedReads.of(log);
    const [first, second] = await Promise.all([reads.readAll(START, 10), reads.readAll(START, 10)]);
    expect(await reads.readAll(START, 10)).toBe(first);
    expect(second).toBe(first);
    expect(first.map((e) => e.position)).toEqual([1, 2, 3]);
    expect(log.reads).toBe(1);
  });

  it('answers a smaller batch from a larger one, and reads again for a larger one', async () => {
    const log = new CountingLog();
    await log.add(5);
    const reads = SharedReads.of(log);
    await reads.readAll(START, 3);
    expect((await reads.readAll(START, 2)).map((e) => e.position)).toEqual([1, 2]);
    expect(log.reads).toBe(1);
    expect((await reads.readAll(START, 10)).map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
    expect(log.reads).toBe(2);
  });

  it('never keeps an empty batch, so a runner woken by a commit sees its events', async () => {
    const log = new CountingLog();
    const reads = SharedReads.of(log);
    expect(await reads.readAll(START, 10)).toEqual([]);
    const woken = reads.waitForEvents(START, new AbortController().signal);
    await log.add(1);
    await woken;
    expect((await reads.readAll(START, 10)).map((e) => e.position)).toEqual([1]);
  });

  it('keeps a few recent batches, not every one', async () => {
    const log = new CountingLog();
    await log.add(10);
    const reads = SharedReads.of(log);
    for (let after = 0; after < 10; after++) await reads.readAll(globalPosition(after), 1);
    expect(log.reads).toBe(10);
    await reads.readAll(globalPosition(9), 1);
    expect(log.reads).toBe(10);
    await reads.readAll(START, 1);
    expect(log.reads).toBe(11);
  });
});
