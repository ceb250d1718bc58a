// Emmett's PostgreSQL event store, loaded from bench/.peers/postgresql (see setup.sh), so that the repository never
// needs it installed. Only the structural subset the bench calls is typed here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PEERS_DIR } from '../mediator/nest.js';

export const EMMETT_DIR = join(PEERS_DIR, 'postgresql');

type EmmettEvent = { readonly type: string; readonly data: { readonly account: string; readonly amount: number } };
type Balance = { readonly balance: number };

/** The part of Emmett's `PostgresEventStore` the bench calls itself. */
export interface EmmettStore {
  appendToStream(
    stream: string,
    events: EmmettEvent[],
    options?: { expectedStreamVersion?: bigint | string },
  ): Promise<{ lastEventGlobalPosition: bigint }>;
}

/** An Emmett store with the pool the bench made for it. */
export interface OpenEmmett {
  readonly store: EmmettStore;
  /** Closes the store and ends its pool. */
  close(): Promise<void>;
}

/** Emmett's `readMessagesBatch` result: what its own consumers pull, one batch at a time. */
export interface EmmettBatch {
  readonly currentGlobalPosition: bigint;
  readonly messages: readonly { readonly metadata: { readonly globalPosition: bigint } }[];
  readonly areMessagesLeft: boolean;
}

interface PgPool {
  end(): Promise<void>;
}

/** Emmett's API as the bench drives it, with a pool of `max` connections made by the bench. */
export interface Emmett {
  readonly version: string;
  /** A store on `url` whose pool holds `max` connections. */
  open(url: string, max: number): OpenEmmett;
  /** Emmett's `CommandHandler` over a balance: aggregateStream (read + fold), decide, appendToStream. */
  deposit(store: EmmettStore, stream: string, amount: number): Promise<unknown>;
  /** A reader of the whole log through `readMessagesBatch`, the call Emmett's consumers pull with. */
  reader(url: string): { read(after: bigint, batchSize: number): Promise<EmmettBatch>; close(): Promise<void> };
}

type CommandHandlerFn = (options: {
  evolve: (state: Balance, event: EmmettEvent) => Balance;
  initialState: () => Balance;
}) => (store: EmmettStore, id: string, handle: (state: Balance) => EmmettEvent) => Promise<unknown>;

interface Modules {
  pg: { Pool: new (config: { connectionString: string; max: number }) => PgPool };
  emmett: { CommandHandler: CommandHandlerFn };
  postgresql: {
    getPostgreSQLEventStore(
      url: string,
      options: { connectionOptions: { pool: PgPool } },
    ): EmmettStore & { close(): Promise<void> };
    readMessagesBatch(execute: unknown, options: { after: bigint; batchSize: number }): Promise<EmmettBatch>;
  };
  dumbo: { dumbo(options: { connectionString: string }): { execute: unknown; close(): Promise<void> } };
}

/** Emmett's PostgreSQL store and its command handler, or undefined when `npm run setup` has not installed them. */
export function loadEmmett(): Emmett | undefined {
  let modules: Modules;
  let version: string;
  try {
    const require = createRequire(join(EMMETT_DIR, 'package.json'));
    modules = {
      pg: require('pg'),
      emmett: require('@event-driven-io/emmett'),
      postgresql: require('@event-driven-io/emmett-postgresql'),
      dumbo: require('@event-driven-io/dumbo'),
    };
    // Its exports map hides package.json from require().
    const manifest = join(EMMETT_DIR, 'node_modules/@event-driven-io/emmett-postgresql/package.json');
    version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
  const handle = modules.emmett.CommandHandler({
    evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
    initialState: () => ({ balance: 0 }),
  });
  return {
    version,
    open(url, max) {
      const pool = new modules.pg.Pool({ connectionString: url, max });
      const store = modules.postgresql.getPostgreSQLEventStore(url, { connectionOptions: { pool } });
      return {
        store,
        close: async () => {
          await store.close();
          await pool.end();
        },
      };
    },
    deposit: (store, stream, amount) =>
      handle(store, stream, (state) => {
        if (state.balance > 1e12) throw new Error('Balance limit');
        return { type: 'bank.Deposited', data: { account: stream, amount } };
      }),
    reader(url) {
      const pool = modules.dumbo.dumbo({ connectionString: url });
      return {
        read: (after, batchSize) => modules.postgresql.readMessagesBatch(pool.execute, { after, batchSize }),
        close: () => pool.close(),
      };
    },
  };
}
