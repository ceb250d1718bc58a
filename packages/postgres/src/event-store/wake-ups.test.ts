import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type GlobalPosition, UnavailableError } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { WakeUps } from './wake-ups.js';

// The collector, so that what the heap holds is what is still referenced.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const at = (n: number) => n as GlobalPosition;

function wakeUps(head: () => Promise<GlobalPosition>): WakeUps {
  return new WakeUps({
    head,
    listener: {
      listen: () => {
        throw new Error('no wait here needs to LISTEN');
      },
      ensure: () => {
        throw new Error('no wait here needs to LISTEN');
      },
    },
    channel: 'twofold_test',
    pollIntervalMs: 60_000,
    closed: () => new UnavailableError('the store is closed'),
  });
}

describe('WakeUps', () => {
  it('keeps nothing of a wait that found its events at once, however many there were', async () => {
    const waits = wakeUps(async () => at(10));
    const signal = new AbortController().signal;
    const heapAfter = async (count: number) => {
      for (let i = 0; i < count; i++) await waits.wait(at(5), signal);
      collect();
      return process.memoryUsage().heapUsed;
    };
    const before = await heapAfter(1_000);
    // Each wait that left a reaction behind (on a promise that settles only on close) held some 200 bytes: 20 MB.
    const after = await heapAfter(100_000);
    expect(after - before).toBeLessThan(2 ** 20);
    await waits.close();
  });

  it('fails a wait still reading the head at once when the store closes', async () => {
    const waits = wakeUps(() => new Promise<GlobalPosition>(() => {}));
    const waiting = waits.wait(at(5), new AbortController().signal);
    await waits.close();
    await expect(waiting).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'the store is closed' });
    await expect(waits.wait(at(5), new AbortController().signal)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
