import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memory } from '../database/memory.js';
import { DomainError, isTwofoldError } from '../errors/errors.js';
import { streamId } from '../event-store/records.js';
import { defineCommand, defineEvent, defineQuery } from '../messages/define.js';
import type { DocumentTx, InlineDocumentTx } from '../projections/documents.js';
import { projection } from '../projections/projection.js';
import { defineDecider, defineStateModel } from '../write-model/models.js';
import { twofold } from './twofold.js';

const Open = defineCommand('bank.Open', z.object({ accountId: z.string() }));
const Deposit = defineCommand('bank.Deposit', z.object({ accountId: z.string(), amount: z.number().positive() }));
const Rename = defineCommand('bank.Rename', z.object({ customerId: z.string(), name: z.string() }), {
  result: z.object({ version: z.number() }),
});
const Opened = defineEvent('bank.Opened', z.object({ accountId: z.string() }));
const Deposited = defineEvent('bank.Deposited', z.object({ accountId: z.string(), amount: z.number() }));
const Renamed = defineEvent('bank.Renamed', z.object({ customerId: z.string(), name: z.string() }));
const Balance = defineQuery('bank.Balance', z.object({ accountId: z.string() }), z.number().nullable());
const Total = defineQuery('bank.Total', z.object({}), z.number());
const Customer = defineQuery('bank.Customer', z.object({ customerId: z.string() }), z.string().nullable());

const account = defineDecider({
  name: 'account',
  commands: [Open, Deposit],
  events: [Opened, Deposited],
  initialState: () => ({ open: false }),
  evolve: () => ({ open: true }),
  decide: (command, state) => {
    switch (command.type) {
      case 'bank.Open':
        if (state.open) throw new DomainError('ACCOUNT_EXISTS', 'This account is open already');
        return [{ type: 'bank.Opened', data: command.data }];
      case 'bank.Deposit':
        if (!state.open) throw new DomainError('NO_ACCOUNT', 'Open the account first');
        return [{ type: 'bank.Deposited', data: command.data }];
      default:
        return command satisfies never;
    }
  },
});
const customers = defineStateModel({
  name: 'customer',
  commands: [Rename],
  events: [Renamed],
  initialState: () => ({ name: '' }),
  decide: (command) => ({ state: { name: command.data.name }, events: [{ type: 'bank.Renamed', data: command.data }] }),
});

type Amount = { readonly amount: number };
const add = async (tx: DocumentTx, collection: string, id: string, amount: number) => {
  const documents = tx.collection<Amount>(collection);
  documents.put(id, { amount: ((await documents.get(id))?.amount ?? 0) + amount });
};
// Inline on memory, the balances are applied in the synchronous write transaction, as on SQLite.
const credit = (tx: InlineDocumentTx, id: string, amount: number) => {
  const documents = tx.collection<Amount>('balances');
  documents.put(id, { amount: (documents.get(id)?.amount ?? 0) + amount });
};
const balances = projection<InlineDocumentTx>('balances')
  .on(Opened, ({ accountId }, tx) => credit(tx, accountId, 0))
  .on(Deposited, ({ accountId, amount }, tx) => credit(tx, accountId, amount));
const totals = projection<DocumentTx>('totals').on(Deposited, ({ amount }, tx) => add(tx, 'totals', 'all', amount));
const names = projection<DocumentTx>('names').on(Renamed, ({ customerId, name }, tx) =>
  tx.collection('names').put(customerId, { name }),
);

function bank(store = memory()) {
  return twofold({ store })
    .decider(account, { stream: ({ data }) => streamId('account', data.accountId) })
    .stateStored(customers, { id: ({ data }) => data.customerId, result: ({ version }) => ({ version }) })
    .projection(balances, { inline: true })
    .projection(totals)
    .projection(names)
    .query(
      Balance,
      async ({ accountId }, { read }) =>
        (await read(balances).collection<Amount>('balances').get(accountId))?.amount ?? null,
      { reads: [balances] },
    )
    .query(Total, async (_, { read }) => (await read(totals).collection<Amount>('totals').get('all'))?.amount ?? 0, {
      reads: [totals],
    })
    .query(
      Customer,
      async ({ customerId }, { read }) =>
        (await read(names).collection<{ name: string }>('names').get(customerId))?.name ?? null,
      { reads: [names] },
    );
}

describe('twofold()', () => {
  it('registers a decider once for all its commands, and a state-stored model', async () => {
    const app = await bank().start();
    await app.send(Open, { accountId: 'a1' });
    await app.send(Deposit, { accountId: 'a1', amount: 5 });
    const refused = await app.send(Open, { accountId: 'a1' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'DOMAIN_RULE', rule: 'ACCOUNT_EXISTS' });
    expect(await app.send(Rename, { customerId: 'c1', name: 'Ada' })).toEqual({ version: 1 });
    expect((await app.store.events.readStream(streamId('account', 'a1'))).map((e) => e.type)).toEqual([
      'bank.Opened',
      'bank.Deposited',
    ]);
    expect(await app.store.events.load('customer', 'c1')).toEqual({ state: { name: 'Ada' }, version: 1 });
    await app.close();
  });

  it('reads an inline projection at once, and an async one after the position the command returned', async () => {
    const app = await bank().start();
    await app.send(Open, { accountId: 'a1' });
    const { position } = await app.execute(Deposit, { accountId: 'a1', amount: 7 });
    expect(await app.ask(Balance, { accountId: 'a1' })).toBe(7);
    expect(await app.ask(Total, {}, { after: position })).toBe(7);
    const renamed = await app.execute(Rename, { customerId: 'c1', name: 'Ada' });
    expect(await app.ask(Customer, { customerId: 'c1' }, { after: renamed.position })).toBe('Ada');
    await app.close();
  });

  it('brings an inline projection up to the log at start, and runs the async ones until close', async () => {
    const store = memory();
    const first = await bank(store).start();
    await first.send(Open, { accountId: 'a1' });
    await first.send(Deposit, { accountId: 'a1', amount: 3 });
    // A second app on the same events, with fresh documents: start() rebuilds the inline balances.
    const second = await bank({ ...store, documents: memory().documents }).start();
    expect(await second.ask(Balance, { accountId: 'a1' })).toBe(3);
    await first.close();
    await second.close();
  });

  it('fails the command, writing nothing, when an inline projection throws', async () => {
    const failing = projection<InlineDocumentTx>('failing').on(Deposited, () => {
      throw new Error('the read model refuses');
    });
    const store = memory();
    const app = await twofold({ store })
      .decider(account, { stream: ({ data }) => streamId('account', data.accountId) })
      .projection(failing, { inline: true })
      .start();
    await app.send(Open, { accountId: 'a1' });
    await expect(app.send(Deposit, { accountId: 'a1', amount: 5 })).rejects.toThrow('the read model refuses');
    expect(await store.events.streamVersion(streamId('account', 'a1'))).toBe(1);
    await app.close();
  });

  it('runs middleware around commands and queries', async () => {
    const seen: string[] = [];
    const app = await bank()
      .use({ kind: 'command' }, async (ctx, next) => {
        seen.push(ctx.type);
        return next();
      })
      .start();
    await app.send(Open, { accountId: 'a1' });
    await app.ask(Balance, { accountId: 'a1' });
    expect(seen).toEqual(['bank.Open']);
    await app.close();
  });

  it('refuses a query reading a projection it does not name', async () => {
    const app = await twofold({ store: memory() })
      .projection(balances, { inline: true })
      .query(Total, (_, { read }) => read(balances).collection<Amount>('balances').count())
      .start();
    await expect(app.ask(Total, {})).rejects.toThrow(
      "query('bank.Total') reads projection 'balances' without naming it: add it to the query's reads",
    );
    await app.close();
  });
});

describe('close()', () => {
  it('closes what onClose registered, then waits for the commands in flight, then closes the store', async () => {
    const order: string[] = [];
    let release = () => {};
    let entered = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = new Promise<void>((resolve) => (entered = resolve));
    const store = memory();
    const app = await twofold({ store: { ...store, close: async () => void order.push('store') } })
      .command(Open, async () => {
        entered();
        await gate;
        order.push('command');
      })
      .onClose(() => void order.push('server'))
      .start();
    const sent = app.send(Open, { accountId: 'a1' });
    await running;
    const closing = app.close();
    expect(app.close()).toBe(closing);
    // Every step close() could take without waiting for the command is taken before the next turn of the loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['server']);
    release();
    await closing;
    await sent;
    expect(order).toEqual(['server', 'command', 'store']);
  });

  it('closes the store even when something registered with onClose fails, and reports that failure', async () => {
    let closed = false;
    const store = memory();
    const app = twofold({
      store: {
        ...store,
        close: async () => {
          closed = true;
        },
      },
    }).onClose(() => {
      throw new Error('server would not close');
    });
    await expect(app.close()).rejects.toThrow('server would not close');
    expect(closed).toBe(true);
  });
});

describe('twofold() misuse', () => {
  it('refuses a store that is not a database handle', () => {
    expect(() => twofold({ store: {} as never })).toThrow(
      'twofold(): options.store must be a database handle (memory(), sqlite(path), await postgres(…)); it has no events, documents, checkpoints, deadLetters, close()',
    );
  });

  it('refuses a command registered twice, and registers none of the decider then', () => {
    const app = twofold({ store: memory() }).command(Deposit, () => {});
    let error: unknown;
    try {
      app.decider(account, { stream: ({ data }) => streamId('account', data.accountId) });
    } catch (caught) {
      error = caught;
    }
    expect(isTwofoldError(error, 'DUPLICATE_HANDLER')).toBe(true);
    expect((error as Error).message).toBe(
      "decider('account'): 'bank.Deposit' already has a handler; a command has exactly one",
    );
    expect(app.mediator.definitions().commands.map((d) => d.type)).toEqual(['bank.Deposit']);
  });

  it('refuses a model whose command declares a result without options.result', () => {
    const app = twofold({ store: memory() });
    expect(() =>
      app.stateStored(customers, { id: ({ data }: { data: { customerId: string } }) => data.customerId } as never),
    ).toThrow("stateStored('customer'): 'bank.Rename' declares a result; give options.result to make it");
  });

  it('refuses a projection registered twice, and bad projection options', () => {
    const app = twofold({ store: memory() }).projection(balances, { inline: true });
    expect(() => app.projection(balances, { inline: true })).toThrow("projection('balances') is registered twice");
    expect(() => app.projection(totals, { inline: 'yes' } as never)).toThrow(
      "projection('totals'): options.inline must be true or false",
    );
  });

  it('refuses to start with a query naming an unknown projection, and starts once it is registered', async () => {
    const app = twofold({ store: memory() }).query(Total, () => 0, { reads: [totals] });
    await expect(app.start()).rejects.toThrow(
      "query('bank.Total') reads projection 'totals', which is not registered: add it with app.projection()",
    );
    await app.projection(totals).start();
    expect(await app.ask(Total, {})).toBe(0);
    await app.close();
  });

  it('refuses commands and queries before start() and after close()', async () => {
    const app = bank();
    await expect(app.send(Open, { accountId: 'a1' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'bank.Open: the app is not started; await app.start() first',
    });
    await app.start();
    await app.close();
    await expect(app.ask(Total, {})).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'bank.Total: the app is closed',
    });
  });

  it('refuses to start twice, to start after close, and registrations after start', async () => {
    const app = bank();
    await app.start();
    await expect(app.start()).rejects.toThrow('start(): the app is already started; it starts once');
    expect(() => app.projection(projection('late'))).toThrow(
      'projection(): the app has started; register everything before start()',
    );
    await app.close();
    await expect(app.start()).rejects.toThrow('start(): the app is closed');
  });
});
