import { DomainError, defineDecider } from '@twofold/core';
import { AccountOpened, Deposit, MoneyDeposited, MoneyWithdrawn, OpenAccount, Withdraw } from './messages.js';

type Account = { readonly opened: false } | { readonly opened: true; readonly balance: number };

/** A bank account, event-sourced: opened once, then deposits and withdrawals, never below zero. */
export const account = defineDecider({
  name: 'account',
  commands: [OpenAccount, Deposit, Withdraw],
  events: [AccountOpened, MoneyDeposited, MoneyWithdrawn],
  initialState: (): Account => ({ opened: false }),
  evolve: (state, event): Account => {
    const balance = state.opened ? state.balance : 0;
    switch (event.type) {
      case 'bank.AccountOpened':
        return { opened: true, balance: 0 };
      case 'bank.MoneyDeposited':
        return { opened: true, balance: balance + event.data.amount };
      case 'bank.MoneyWithdrawn':
        return { opened: true, balance: balance - event.data.amount };
      default:
        return event satisfies never;
    }
  },
  decide: (command, state) => {
    if (command.type === 'bank.OpenAccount') {
      if (state.opened) throw new DomainError('ACCOUNT_EXISTS', `Account ${command.data.accountId} is open already`);
      return [{ type: 'bank.AccountOpened', data: command.data }];
    }
    if (!state.opened) throw new DomainError('NO_ACCOUNT', `There is no account ${command.data.accountId}`);
    switch (command.type) {
      case 'bank.Deposit':
        return [{ type: 'bank.MoneyDeposited', data: command.data }];
      case 'bank.Withdraw':
        if (command.data.amount > state.balance) {
          throw new DomainError('INSUFFICIENT_FUNDS', `Account ${command.data.accountId} cannot go below zero`, {
            balance: state.balance,
            requested: command.data.amount,
          });
        }
        return [{ type: 'bank.MoneyWithdrawn', data: command.data }];
      default:
        return command satisfies never;
    }
  },
});
