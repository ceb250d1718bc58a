// A small app as a user writes it from the READMEs, installed from the packed tarballs into a project of its
// own: an event-sourced account, a projection of balances on SQLite, a query that reads its own writes, the same
// round trip over HTTP through Fastify and the typed client, and the same account again in the composition root
// (`twofold()`, served by `serve()`). Its output is compared line by line.
import { join } from 'node:path';
import { createClient, isRemoteError } from '@twofold/client';
import {
  createMediator,
  type DocumentTx,
  DomainError,
  defineCommand,
  defineDecider,
  defineEvent,
  defineQuery,
  memory,
  ProjectionRunner,
  projection,
  streamId,
  twofold,
  writeModels,
} from '@twofold/core';
import { serve, twofoldHttp } from '@twofold/http';
import { sqlite } from '@twofold/sqlite';
import Fastify from 'fastify';
import { z } from 'zod';

const OpenAccount = defineCommand('bank.OpenAccount', z.object({ accountId: z.string() }));
const Deposit = defineCommand('bank.Deposit', z.object({ accountId: z.string(), amount: z.number().int().positive() }));
const AccountOpened = defineEvent('bank.AccountOpened', z.object({ accountId: z.string() }));
const Deposited = defineEvent('bank.Deposited', z.object({ accountId: z.string(), amount: z.number() }));
const Balance = defineQuery('bank.Balance', z.object({ accountId: z.string() }), z.number());

const account = defineDecider({
  name: 'account',
  commands: [OpenAccount, Deposit],
  events: [AccountOpened, Deposited],
  initialState: () => ({ open: false }),
  evolve: () => ({ open: true }),
  decide: (command, state) => {
    switch (command.type) {
      case 'bank.OpenAccount':
        if (state.open) throw new DomainError('ALREADY_OPEN', 'This account is open already');
        return [{ type: 'bank.AccountOpened', data: command.data }];
      case 'bank.Deposit':
        if (!state.open) throw new DomainError('NOT_OPEN', 'Open the account first');
        return [{ type: 'bank.Deposited', data: command.data }];
      default:
        return command satisfies never;
    }
  },
});

type Account = { accountId: string; balance: number };
const balances = projection<DocumentTx>('balances')
  .on(AccountOpened, ({ accountId }, tx) =>
    tx.collection<Account>('accounts').put(accountId, { accountId, balance: 0 }),
  )
  .on(Deposited, async ({ accountId, amount }, tx) => {
    const accounts = tx.collection<Account>('accounts');
    const balance = (await accounts.get(accountId))?.balance ?? 0;
    accounts.put(accountId, { accountId, balance: balance + amount });
  });

const dataDir = process.argv[2] ?? 'data';
const writes = sqlite(join(dataDir, 'bank.db'));
const reads = sqlite(join(dataDir, 'bank-read.db'));
const store = writes.events;
const views = reads.documents;
const runner = new ProjectionRunner({ projection: balances, store: views, feed: store });
runner.start();

const models = writeModels({ store });
const byAccount = ({ data }: { data: { accountId: string } }) => streamId('account', data.accountId);
const bank = createMediator()
  .command(OpenAccount, models.eventSourced(account, { stream: byAccount }))
  .command(Deposit, models.eventSourced(account, { stream: byAccount }))
  .query(
    Balance,
    async ({ accountId }) => (await views.read(balances).collection<Account>('accounts').get(accountId))?.balance ?? 0,
    {
      reads: [runner.progress],
    },
  );

await bank.send(OpenAccount, { accountId: 'a1' });
const { position } = await bank.execute(Deposit, { accountId: 'a1', amount: 30 });
console.log('in process:', position, await bank.ask(Balance, { accountId: 'a1' }, { after: position }));

const server = Fastify();
await server.register(twofoldHttp, { prefix: '/api', mediator: bank });
const address = await server.listen({ port: 0, host: '127.0.0.1' });
const client = createClient({ baseUrl: `${address}/api` });
await client.send(Deposit, { accountId: 'a1', amount: 12 });
console.log('over HTTP:', client.position, await client.ask(Balance, { accountId: 'a1' }));
await client.send(Deposit, { accountId: 'nobody', amount: 1 }).catch((error: unknown) => {
  console.log('refused:', isRemoteError(error, 'DOMAIN_RULE') ? error.rule : error);
});

await server.close();
await runner.stop();
await writes.close();
await reads.close();

const app = twofold({ store: memory() })
  .decider(account, { stream: byAccount })
  .projection(balances)
  .query(
    Balance,
    async ({ accountId }, { read }) =>
      (await read(balances).collection<Account>('accounts').get(accountId))?.balance ?? 0,
    {
      reads: [balances],
    },
  );
await app.start();
const { url } = await serve(app, { port: 0, host: '127.0.0.1', signals: [] });
const composed = createClient({ baseUrl: url });
await composed.send(OpenAccount, { accountId: 'a2' });
await composed.send(Deposit, { accountId: 'a2', amount: 5 });
console.log('twofold():', composed.position, await composed.ask(Balance, { accountId: 'a2' }));
await app.close();
