import { type Database, type InlineDocumentTx, streamId, twofold } from '@twofold/core';
import { account } from './account.js';
import { Balance, Statement } from './messages.js';
import { balanceOf, balances, statementOf, statements } from './read-models.js';

/** The bank on a database handle: accounts, their balances (inline) and statements (async), and two queries. */
export function bank<WriteTx>(store: Database<WriteTx, InlineDocumentTx>) {
  return twofold({ store })
    .decider(account, { stream: ({ data }) => streamId('account', data.accountId) })
    .projection(balances, { inline: true })
    .projection(statements)
    .query(Balance, ({ accountId }, { read }) => balanceOf(read(balances), accountId), { reads: [balances] })
    .query(Statement, ({ accountId }, { read }) => statementOf(read(statements), accountId), { reads: [statements] });
}
