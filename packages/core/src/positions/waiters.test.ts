import { describe, expect, it } from 'vitest';
import { globalPosition } from './position.js';
import { Waiters } from './waiters.js';

describe('Waiters', () => {
  it('wakes the waits below the head reported, and tells when nobody waits any more', async () => {
    let emptied = 0;
    const waiters = new Waiters(() => emptied++);
    const signal = new AbortController().signal;
    const woken: number[] = [];
    const waits = [1, 3, 5].map((after) =>
      waiters.add(globalPosition(after), signal).then(() => void woken.push(after)),
    );
    waiters.wake(globalPosition(4));
    await Promise.all(waits.slice(0, 2));
    expect(woken).toEqual([1, 3]);
    expect(waiters.size).toBe(1);
    expect(emptied).toBe(0);
    waiters.wake(globalPosition(6));
    await waits[2];
    expect(woken).toEqual([1, 3, 5]);
    expect(emptied).toBe(1);
  });

  it('rejects each wait with the reason for its position, and a wait whose signal aborts', async () => {
    const waiters = new Waiters();
    const controller = new AbortController();
    const aborted = waiters.add(globalPosition(1), controller.signal);
    const first = waiters.add(globalPosition(2), new AbortController().signal);
    const second = waiters.add(globalPosition(7), new AbortController().signal);
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(waiters.size).toBe(2);
    waiters.rejectEach((after) => new Error(`stopped before ${after}`));
    await expect(first).rejects.toThrow('stopped before 2');
    await expect(second).rejects.toThrow('stopped before 7');
    await expect(waiters.add(globalPosition(1), controller.signal)).rejects.toThrow('gone');
  });
});
