import { describe, expect, it } from 'vitest';
import { type Protocol, runAsync } from '../protocol/run.js';
import { OutcomeGroups } from './outcome-groups.js';

// A log of the transactions and lone statements the groups run, each change naming itself.
function recorded() {
  const log: string[] = [];
  const run =
    (how: string) =>
    async <R>(body: (tx: string[]) => Protocol<R>) => {
      const tx: string[] = [];
      const result = await runAsync(body(tx));
      log.push(`${how} ${tx.join(',')}`);
      return result;
    };
  return { log, groups: new OutcomeGroups<string[]>(run('transaction'), run('alone')) };
}

describe('OutcomeGroups', () => {
  it('commits the outcomes of one turn in one transaction, and a lone outcome as one statement', async () => {
    const { log, groups } = recorded();
    const change = (name: string) => (tx: string[]) => {
      tx.push(name);
      return true;
    };
    expect(await Promise.all([groups.add(change('a')), groups.add(change('b'))])).toEqual([true, true]);
    expect(await groups.add(change('c'))).toBe(true);
    expect(log).toEqual(['transaction a,b', 'alone c']);
  });

  it('tries a failed group again one outcome at a time, each alone, so that the bad one fails by itself', async () => {
    const { log, groups } = recorded();
    let tries = 0;
    const bad = (tx: string[]) => {
      tx.push('bad');
      tries++;
      throw new Error('refused');
    };
    const good = (tx: string[]) => {
      tx.push('good');
      return true;
    };
    const [failed, passed] = await Promise.allSettled([groups.add(bad), groups.add(good)]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'refused' } });
    expect(passed).toEqual({ status: 'fulfilled', value: true });
    expect(tries).toBe(2);
    expect(log).toEqual(['alone good']);
  });
});
