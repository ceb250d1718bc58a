import { type DocumentReader, type DocumentTx, type InlineDocumentTx, projection } from '@twofold/core';
import type { z } from 'zod';
import { type AccountBalance, AccountOpened, MoneyDeposited, MoneyWithdrawn, type Movement } from './messages.js';

type Balance = z.infer<typeof AccountBalance>;
// A movement as stored: with its account, and its event's position, which orders the statement.
type Stored = z.infer<typeof Movement> & { readonly accountId: string; readonly position: number };

const STATEMENT_LENGTH = 20;

function move(tx: InlineDocumentTx, accountId: string, change: number): number {
  const balances = tx.collection<Balance>('balances');
  const current = balances.get(accountId);
  if (current === undefined) throw new Error(`No balance for account ${accountId}`);
  const balance = current.balance + change;
  balances.update(accountId, { balance });
  return balance;
}

/**
 * Each account's owner and balance. The app applies it inline: a balance is current when a command returns. Its
 * handlers run inside the write transaction, synchronous on SQLite and in memory, so they read at once.
 */
export const balances = projection<InlineDocumentTx>('balances')
  .on(AccountOpened, ({ accountId, owner }, tx) =>
    tx.collection<Balance>('balances').put(accountId, { accountId, owner, balance: 0 }),
  )
  .on(MoneyDeposited, ({ accountId, amount }, tx) => void move(tx, accountId, amount))
  .on(MoneyWithdrawn, ({ accountId, amount }, tx) => void move(tx, accountId, -amount));

// A movement's id is its account and its event's position. The balance after each movement is kept apart, so
// that recording one reads one document, not the whole statement.
async function record(
  tx: DocumentTx,
  accountId: string,
  movement: Omit<Stored, 'accountId' | 'balance' | 'position'>,
  position: number,
) {
  const running = tx.collection<{ balance: number }>('running');
  const balance =
    ((await running.get(accountId))?.balance ?? 0) + (movement.kind === 'deposit' ? movement.amount : -movement.amount);
  running.put(accountId, { balance });
  tx.collection<Stored>('movements').put(`${accountId}/${position}`, { accountId, ...movement, balance, position });
}

/** Every deposit and withdrawal of each account, with the balance after it and the time it was recorded. */
export const statements = projection<DocumentTx>('statements')
  .on(MoneyDeposited, ({ accountId, amount }, tx, event) =>
    record(tx, accountId, { kind: 'deposit', amount, at: event.timestamp }, event.position),
  )
  .on(MoneyWithdrawn, ({ accountId, amount }, tx, event) =>
    record(tx, accountId, { kind: 'withdrawal', amount, at: event.timestamp }, event.position),
  );

/** An account's balance, or null when there is no such account. */
export async function balanceOf(reader: DocumentReader, accountId: string): Promise<Balance | null> {
  return (await reader.collection<Balance>('balances').get(accountId)) ?? null;
}

/** The last 20 movements of an account, newest first. */
export async function statementOf(reader: DocumentReader, accountId: string): Promise<z.infer<typeof Movement>[]> {
  const movements = await reader
    .collection<Stored>('movements')
    .find({ accountId }, { orderBy: { field: 'position', direction: 'desc' }, limit: STATEMENT_LENGTH });
  return movements.map(({ kind, amount, balance, at }) => ({ kind, amount, balance, at }));
}
