import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BookRoom, bookRoom, type RoomById, roomById } from './workload.js';

/** Where `npm run setup -w @twofold/bench` installs the peers, apart from the workspace's node_modules. */
export const PEERS_DIR = fileURLToPath(new URL('../.peers/', import.meta.url));

/** An @nestjs/cqrs CommandBus and QueryBus, running the workload's handlers inside a Nest application context. */
export interface NestBuses {
  readonly version: string;
  send(input: BookRoom): Promise<unknown>;
  ask(input: RoomById): Promise<unknown>;
  close(): Promise<void>;
}

// The peers are loaded from a computed path, so that type-checking the repository never needs them installed.
async function importPeer(require: NodeJS.Require, name: string): Promise<any> {
  return import(pathToFileURL(require.resolve(name)).href);
}

/** Starts the Nest buses, or resolves to undefined when the peers are not installed. */
export async function startNest(): Promise<NestBuses | undefined> {
  const require = createRequire(PEERS_DIR);
  try {
    require.resolve('@nestjs/cqrs');
  } catch {
    return undefined;
  }
  await importPeer(require, 'reflect-metadata');
  const [cqrs, core, common] = await Promise.all(
    ['@nestjs/cqrs', '@nestjs/core', '@nestjs/common'].map((name) => importPeer(require, name)),
  );
  const version: string = require('@nestjs/cqrs/package.json').version;

  // What a Nest user writes with decorators, applied by hand: this repository compiles without them.
  class BookRoomCommand {
    readonly input: BookRoom;
    constructor(input: BookRoom) {
      this.input = input;
    }
  }
  class RoomByIdQuery {
    readonly input: RoomById;
    constructor(input: RoomById) {
      this.input = input;
    }
  }
  class BookRoomHandler {
    execute(command: BookRoomCommand) {
      return bookRoom(command.input);
    }
  }
  class RoomByIdHandler {
    execute(query: RoomByIdQuery) {
      return roomById(query.input);
    }
  }
  cqrs.CommandHandler(BookRoomCommand)(BookRoomHandler);
  common.Injectable()(BookRoomHandler);
  cqrs.QueryHandler(RoomByIdQuery)(RoomByIdHandler);
  common.Injectable()(RoomByIdHandler);
  class BenchModule {}
  common.Module({ imports: [cqrs.CqrsModule.forRoot()], providers: [BookRoomHandler, RoomByIdHandler] })(BenchModule);

  const app = await core.NestFactory.createApplicationContext(BenchModule, { logger: false });
  const commandBus = app.get(cqrs.CommandBus);
  const queryBus = app.get(cqrs.QueryBus);
  return {
    version,
    send: (input) => commandBus.execute(new BookRoomCommand(input)),
    ask: (input) => queryBus.execute(new RoomByIdQuery(input)),
    close: () => app.close(),
  };
}
