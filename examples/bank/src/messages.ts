import { defineCommand, defineEvent, defineQuery } from '@twofold/core';
import { z } from 'zod';

// Amounts are whole cents, so that no sum is ever off by a rounding.
const cents = z.int().positive().max(1_000_000_000);
const accountId = z.string().min(1).max(64);

export const OpenAccount = defineCommand(
  'bank.OpenAccount',
  z.object({ accountId, owner: z.string().min(1).max(200) }),
);
export const Deposit = defineCommand('bank.Deposit', z.object({ accountId, amount: cents }));
export const Withdraw = defineCommand('bank.Withdraw', z.object({ accountId, amount: cents }));

export const AccountOpened = defineEvent('bank.AccountOpened', z.object({ accountId, owner: z.string() }));
export const MoneyDeposited = defineEvent('bank.MoneyDeposited', z.object({ accountId, amount: cents }));
export const MoneyWithdrawn = defineEvent('bank.MoneyWithdrawn', z.object({ accountId, amount: cents }));

export const AccountBalance = z.object({ accountId: z.string(), owner: z.string(), balance: z.int() });
export const Movement = z.object({
  kind: z.enum(['deposit', 'withdrawal']),
  amount: z.int(),
  /** The balance after the movement. */
  balance: z.int(),
  /** When it was recorded, in ms since the epoch. */
  at: z.number(),
});

export const Balance = defineQuery('bank.Balance', z.object({ accountId }), AccountBalance.nullable());
/** The last 20 movements of an account, newest first. */
export const Statement = defineQuery('bank.Statement', z.object({ accountId }), z.array(Movement));
