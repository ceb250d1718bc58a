// The bank's commands and queries, on memory and on an SQLite file: a test per command, and read-your-writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, DomainError, type InlineDocumentTx, memory } from '@twofold/core';
import { sqlite } from '@twofold/sqlite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bank } from '../../src/bank.js';
import { Balance, Deposit, OpenAccount, Statement, Withdraw } from '../../src/messages.js';

const dir = mkdtempSync(join(tmpdir(), 'twofold-bank-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: [string, () => Database<unknown, InlineDocumentTx>][] = [
  ['memory', () => memory()],
  ['SQLite', () => sqlite(join(dir, `${crypto.randomUUID()}.db`))],
];

describe.each(stores)('the bank on %s', (_, open) => {
  let app: Awaited<ReturnType<typeof started>>;
  const started = () => bank(open()).start();
  afterEach(() => app.close());

  it('OpenAccount opens an account once, with a zero balance', async () => {
    app = await started();
    await app.send(OpenAccount, { accountId: 'a1', owner: 'Ada' });
    expect(await app.ask(Balance, { accountId: 'a1' })).toEqual({ accountId: 'a1', owner: 'Ada', balance: 0 });
    await expect(app.send(OpenAccount, { accountId: 'a1', owner: 'Bob' })).rejects.toMatchObject({
      rule: 'ACCOUNT_EXISTS',
    });
    expect(await app.ask(Balance, { accountId: 'nobody' })).toBeNull();
  });

  it('Deposit adds to the balance of an open account, and refuses an account that does not exist', async () => {
    app = await started();
    await app.send(OpenAccount, { accountId: 'a1', owner: 'Ada' });
    await app.send(Deposit, { accountId: 'a1', amount: 1250 });
    await app.send(Deposit, { accountId: 'a1', amount: 50 });
    expect(await app.ask(Balance, { accountId: 'a1' })).toMatchObject({ balance: 1300 });
    await expect(app.send(Deposit, { accountId: 'a2', amount: 10 })).rejects.toMatchObject({ rule: 'NO_ACCOUNT' });
    await expect(app.send(Deposit, { accountId: 'a1', amount: -5 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('Withdraw takes from the balance, never below zero: the refusal says what was there and what was asked', async () => {
    app = await started();
    await app.send(OpenAccount, { accountId: 'a1', owner: 'Ada' });
    await app.send(Deposit, { accountId: 'a1', amount: 100 });
    await app.send(Withdraw, { accountId: 'a1', amount: 60 });
    const refused = await app.send(Withdraw, { accountId: 'a1', amount: 41 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ rule: 'INSUFFICIENT_FUNDS', details: { balance: 40, requested: 41 } });
    expect(await app.ask(Balance, { accountId: 'a1' })).toMatchObject({ balance: 40 });
    await app.send(Withdraw, { accountId: 'a1', amount: 40 });
    expect(await app.ask(Balance, { accountId: 'a1' })).toMatchObject({ balance: 0 });
  });

  it('Statement reads its own writes: the last 20 movements, newest first, each with the balance after it', async () => {
    app = await started();
    await app.send(OpenAccount, { accountId: 'a1', owner: 'Ada' });
    await app.send(OpenAccount, { accountId: 'a2', owner: 'Bob' });
    await app.send(Deposit, { accountId: 'a2', amount: 7 });
    for (let i = 1; i <= 24; i++) await app.send(Deposit, { accountId: 'a1', amount: i });
    const { position } = await app.execute(Withdraw, { accountId: 'a1', amount: 300 });
    const statement = await app.ask(Statement, { accountId: 'a1' }, { after: position });
    expect(statement).toHaveLength(20);
    expect(statement[0]).toMatchObject({ kind: 'withdrawal', amount: 300, balance: 0 });
    expect(statement.slice(1).map((movement) => movement.amount)).toEqual([
      24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
    ]);
    expect(statement[1]).toMatchObject({ kind: 'deposit', balance: 300 });
    expect(statement.every((movement) => movement.at > 0)).toBe(true);
    expect(await app.ask(Statement, { accountId: 'a2' }, { after: position })).toMatchObject([
      { amount: 7, balance: 7 },
    ]);
  });
});
