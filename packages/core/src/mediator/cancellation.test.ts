import { describe, expect, it } from 'vitest';
import { abortError, isTwofoldError } from '../errors/errors.js';
import { combineSignals, DispatchSignal } from './cancellation.js';

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('combineSignals', () => {
  it('makes no signal of its own for none or one', () => {
    const one = new AbortController().signal;
    expect(combineSignals(undefined, undefined, undefined)).toBeUndefined();
    expect(combineSignals(one, undefined, undefined)).toBe(one);
    expect(combineSignals(undefined, one, undefined)).toBe(one);
  });

  it('aborts with the reason of whichever source aborts', () => {
    const own = new AbortController();
    const inherited = new AbortController();
    const linked = combineSignals(own.signal, inherited.signal, undefined) as DispatchSignal;
    inherited.abort('gone');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('gone');
  });

  it('starts aborted when a source already is', () => {
    const own = new AbortController();
    own.abort('before');
    const linked = combineSignals(own.signal, undefined, Date.now() + 60_000) as DispatchSignal;
    expect(linked.signal.reason).toBe('before');
  });

  it('aborts at the deadline with a reason that reads as DEADLINE_EXCEEDED', async () => {
    const linked = combineSignals(undefined, undefined, Date.now()) as DispatchSignal;
    await aborted(linked.signal);
    expect(isTwofoldError(abortError(linked.signal, 'test.Query'), 'DEADLINE_EXCEEDED')).toBe(true);
  });
});

describe('DispatchSignal.release', () => {
  it('unhooks it from its sources and stops its deadline', async () => {
    const own = new AbortController();
    const released = new DispatchSignal([own.signal], Date.now());
    released.release();
    own.abort('late');
    const other = new DispatchSignal([], Date.now());
    await aborted(other.signal);
    expect(released.signal.aborted).toBe(false);
  });
});

describe('DispatchSignal.signal', () => {
  it('is made on first read, aborted already when its source aborted before', () => {
    const own = new AbortController();
    const linked = new DispatchSignal([own.signal], undefined);
    own.abort('early');
    expect(linked.aborted).toBe(true);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('early');
    expect(linked.signal).toBe(linked.signal);
  });

  it('tells its one callback once, with the reason, and the signal read before aborts too', () => {
    const own = new AbortController();
    const linked = new DispatchSignal([own.signal], Date.now() + 60_000);
    const signal = linked.signal;
    const reasons: unknown[] = [];
    linked.onAbort((reason) => reasons.push(reason));
    own.abort('gone');
    own.abort('again');
    expect(reasons).toEqual(['gone']);
    expect(signal.reason).toBe('gone');
  });
});
