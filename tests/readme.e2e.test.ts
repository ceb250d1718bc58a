import { describe, expect, it } from 'vitest';
import { readmeBlocks, runTypeScript, startTypeScript } from './readme.js';

const USE = 'Use Twofold in your project';

describe('README', () => {
  it('the app of "Use Twofold in your project" serves as the README says, and stops on SIGINT', async () => {
    const [install] = await readmeBlocks(USE, 'sh');
    expect(install).toContain('npm install @twofold/core @twofold/http zod');
    const [code = ''] = await readmeBlocks(USE, 'ts');
    const lines = code.split('\n');
    const wiring =
      lines.findIndex((line) => line.includes('serve(')) - lines.findIndex((line) => line.includes('twofold(')) + 1;
    expect(wiring).toBe(6);
    const app = await startTypeScript(code, /listening on http:\S+/, { PORT: '0' });
    const url = /listening on (http:\S+)/.exec(app.output())?.[1];
    const post = (type: string, body: unknown) =>
      fetch(`${url}/commands/${type}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const deposited = await post('bank.Deposit', { accountId: 'a1', amount: 100 });
      expect(await deposited.json()).toEqual({ result: null, position: 1 });
      const balance = await fetch(`${url}/queries/bank.Balance?accountId=a1`, { headers: { 'Twofold-After': '1' } });
      expect(await balance.json()).toEqual({ result: 100 });
      const overdraft = await post('bank.Withdraw', { accountId: 'a1', amount: 500 });
      expect(overdraft.status).toBe(422);
      expect(await overdraft.json()).toMatchObject({ rule: 'INSUFFICIENT_FUNDS', details: { balance: 100 } });
    } finally {
      app.child.kill('SIGINT');
    }
    expect(await app.exited, app.output()).toBe(0);
  }, 240_000);

  it('quickstart runs as written and prints what the README says', async () => {
    const [code] = await readmeBlocks('Quickstart', 'ts');
    const [expected] = await readmeBlocks('Quickstart', 'text');
    expect(code?.split('\n').length).toBeLessThanOrEqual(30);
    expect(await runTypeScript(code ?? '')).toBe(expected);
  });

  it('write models section runs as written', async () => {
    const [code] = await readmeBlocks('Write models', 'ts');
    const [expected] = await readmeBlocks('Write models', 'text');
    expect(await runTypeScript(code ?? '')).toBe(expected);
  });

  it('read models section runs as written', async () => {
    const [code] = await readmeBlocks('Read models', 'ts');
    const [expected] = await readmeBlocks('Read models', 'text');
    expect(await runTypeScript(code ?? '')).toBe(expected);
  });

  it('names the two set-up commands', async () => {
    const [commands] = await readmeBlocks('Set up', 'sh');
    expect(commands).toContain('npm install && npm start');
    expect(commands).toContain('npm test');
  });
});
