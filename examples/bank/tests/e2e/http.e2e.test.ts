// The bank over HTTP, as `npm start` runs it: a child process on an SQLite file, closed by SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEADERS } from '@twofold/core/wire';
import { sqlite } from '@twofold/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { bank } from '../../src/bank.js';
import { Balance } from '../../src/messages.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'twofold-bank-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `npm start`'s command on `database` with a free port, and resolves with the process and its address. */
async function start(database: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--conditions=@twofold/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATABASE: database },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      const found = /Bank: (http:\/\/\S+)/.exec(output);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`The bank exited with ${code} before listening:\n${output}`)));
  });
  return { child, url, output: () => output };
}

const post = (url: string, type: string, body: unknown) =>
  fetch(`${url}/commands/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('the bank over HTTP', () => {
  it('serves every command and query, refuses an overdraft with its details, and closes on SIGTERM', async () => {
    const database = join(dir, 'bank.db');
    const { child, url, output } = await start(database);
    try {
      // The README's session, then a withdrawal that goes through.
      expect((await post(url, 'bank.OpenAccount', { accountId: 'a1', owner: 'Ada' })).status).toBe(200);
      const deposited = await post(url, 'bank.Deposit', { accountId: 'a1', amount: 1000 });
      expect(await deposited.json()).toEqual({ result: null, position: 2 });
      const overdraft = await post(url, 'bank.Withdraw', { accountId: 'a1', amount: 5000 });
      expect(overdraft.status).toBe(422);
      expect(await overdraft.json()).toMatchObject({
        code: 'DOMAIN_RULE',
        rule: 'INSUFFICIENT_FUNDS',
        details: { balance: 1000, requested: 5000 },
      });
      const first = await fetch(`${url}/queries/bank.Statement?accountId=a1`, { headers: { [HEADERS.after]: '2' } });
      expect(await first.json()).toEqual({
        result: [{ kind: 'deposit', amount: 1000, balance: 1000, at: expect.any(Number) }],
      });
      const withdrawn = await post(url, 'bank.Withdraw', { accountId: 'a1', amount: 300 });
      const { position } = (await withdrawn.json()) as { position: number };
      const statement = await fetch(`${url}/queries/bank.Statement?accountId=a1`, {
        headers: { [HEADERS.after]: String(position) },
      });
      expect(await statement.json()).toMatchObject({
        result: [
          { kind: 'withdrawal', amount: 300, balance: 700 },
          { kind: 'deposit', amount: 1000, balance: 1000 },
        ],
      });
      const balance = await fetch(`${url}/queries/bank.Balance?accountId=a1`);
      expect(await balance.json()).toEqual({ result: { accountId: 'a1', owner: 'Ada', balance: 700 } });
      expect((await fetch(`${url}/docs`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code, output()).toBe(0);
    expect(output()).toContain('Bank: closing');
    // What it wrote is in the file it closed.
    const reopened = await bank(sqlite(database)).start();
    expect(await reopened.ask(Balance, { accountId: 'a1' })).toMatchObject({ balance: 700 });
    await reopened.close();
  });
});
