// Type behaviour of the composition root. `tsc --noEmit` checks this file: every `@ts-expect-error` below must
// meet an error, or the type check fails.
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { memory } from '../database/memory.js';
import { streamId } from '../event-store/records.js';
import type { CommandExecution } from '../mediator/context.js';
import { defineCommand, defineEvent, defineQuery, defineStreamQuery } from '../messages/define.js';
import { globalPosition } from '../positions/position.js';
import type { DocumentReader, DocumentTx, InlineDocumentTx } from '../projections/documents.js';
import { projection } from '../projections/projection.js';
import { defineDecider } from '../write-model/models.js';
import { twofold } from './twofold.js';

const Open = defineCommand('bank.Open', z.object({ accountId: z.string() }), {
  result: z.object({ accountId: z.string() }),
});
const Close = defineCommand('bank.Close', z.object({ accountId: z.string() }));
const Unregistered = defineCommand('bank.Unregistered', z.object({}));
const Opened = defineEvent('bank.Opened', z.object({ accountId: z.string() }));
const Balance = defineQuery('bank.Balance', z.object({ accountId: z.string() }), z.number());
const Accounts = defineStreamQuery('bank.Accounts', z.object({}), z.string());

const account = defineDecider({
  name: 'account',
  commands: [Open, Close],
  events: [Opened],
  initialState: () => ({ open: false }),
  evolve: () => ({ open: true }),
  decide: (command) => (command.type === 'bank.Open' ? [{ type: 'bank.Opened', data: command.data }] : []),
});
const balances = projection<DocumentTx>('balances');
const accounts = projection<InlineDocumentTx>('accounts');
const stream = ({ data }: { data: { accountId: string } }) => streamId('account', data.accountId);

const app = twofold({ store: memory() })
  .decider(account, { stream, result: () => ({ accountId: 'a1' }) })
  .projection(balances)
  .projection(accounts, { inline: true })
  .query(Balance, (params, ctx) => {
    expectTypeOf(params).toEqualTypeOf<{ accountId: string }>();
    expectTypeOf(ctx.read(balances)).toEqualTypeOf<DocumentReader>();
    expectTypeOf(ctx.read(accounts)).toEqualTypeOf<DocumentReader>();
    return 0;
  });

describe('twofold() types', () => {
  it('types send, execute and ask by what was registered', () => {
    const typeOnly = () => {
      expectTypeOf(app.send(Open, { accountId: 'a1' })).resolves.toEqualTypeOf<{ accountId: string }>();
      expectTypeOf(app.send(Close, { accountId: 'a1' })).resolves.toEqualTypeOf<void>();
      expectTypeOf(app.execute(Close, { accountId: 'a1' })).resolves.toEqualTypeOf<CommandExecution<void>>();
      expectTypeOf(app.ask(Balance, { accountId: 'a1' })).resolves.toEqualTypeOf<number>();
      // @ts-expect-error a command nobody registered
      void app.send(Unregistered, {});
      // @ts-expect-error a wrong payload
      void app.send(Open, { accountId: 1 });
      // @ts-expect-error a query is not a command
      void app.send(Balance, { accountId: 'a1' });
      // @ts-expect-error a command is not a query
      void app.ask(Open, { accountId: 'a1' });
      // @ts-expect-error a plain number is not a GlobalPosition: brand it with globalPosition(3)
      void app.ask(Balance, { accountId: 'a1' }, { after: 3 });
      void app.ask(Balance, { accountId: 'a1' }, { after: globalPosition(3) });
    };
    void typeOnly;
  });

  it('asks for result when a command of the model declares one, and refuses it otherwise', () => {
    const typeOnly = () => {
      // @ts-expect-error bank.Open declares a result: options.result is required
      twofold({ store: memory() }).decider(account, { stream });
      const closing = defineDecider({ ...account, commands: [Close] });
      twofold({ store: memory() }).decider(closing, { stream });
      // @ts-expect-error no command of the model declares a result
      twofold({ store: memory() }).decider(closing, { stream, result: () => 1 });
    };
    void typeOnly;
  });

  it("takes projections of the store's transaction, and no streaming query", () => {
    const typeOnly = () => {
      // @ts-expect-error a projection for another store's transaction
      twofold({ store: memory() }).projection(projection<{ other: true }>('other'));
      // @ts-expect-error an asynchronous projection gets a DocumentTx, never the inline transaction
      twofold({ store: memory() }).projection(accounts);
      // @ts-expect-error on memory (as on SQLite) an inline projection gets an InlineDocumentTx, answered at once
      twofold({ store: memory() }).projection(balances, { inline: true });
      projection<DocumentTx>('typed').on(Opened, (_, tx) => {
        expectTypeOf(tx.collection<{ n: number }>('c').get('a')).toEqualTypeOf<Promise<{ n: number } | undefined>>();
      });
      projection<InlineDocumentTx>('typed').on(Opened, (_, tx) => {
        expectTypeOf(tx.collection<{ n: number }>('c').get('a')).toEqualTypeOf<{ n: number } | undefined>();
      });
      // @ts-expect-error a streaming query is registered on the mediator
      twofold({ store: memory() }).query(Accounts, () => 'a1');
    };
    void typeOnly;
  });
});
