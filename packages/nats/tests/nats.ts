import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsServer, startNats } from '@twofold/test-servers';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * One throwaway nats-server with JetStream for a test file, and connections to it that close after each test.
 * Each test names its own stream and prefix, so tests share the server but not their messages.
 */
export function useNats() {
  let server: NatsServer | undefined;
  const connections: NatsConnection[] = [];
  beforeAll(async () => {
    server = await startNats();
  });
  afterEach(async () => {
    for (const nc of connections.splice(0)) if (!nc.isClosed()) await nc.close();
  });
  afterAll(async () => {
    await server?.stop();
  });
  let streams = 0;
  return {
    get server(): NatsServer {
      if (server === undefined) throw new Error('nats-server is not started yet (use it inside a test)');
      return server;
    },
    /** A fresh stream name and subject prefix for one test. */
    names: () => {
      streams++;
      return { stream: `T${streams}`, prefix: `t${streams}.events` };
    },
    async connect() {
      if (server === undefined) throw new Error('nats-server is not started yet (use it inside a test)');
      const nc = await connect({ servers: server.url });
      connections.push(nc);
      return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
    },
  };
}
