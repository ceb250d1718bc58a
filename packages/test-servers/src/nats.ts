import { type ServerProcess, startThrowawayServer } from './server-process.js';

/** A running throwaway nats-server with JetStream. */
export interface NatsServer extends ServerProcess {
  /** e.g. `nats://127.0.0.1:42220` */
  readonly url: string;
  readonly port: number;
  /** JetStream's store directory: it outlives `kill()` and `restart()`, and `stop()` removes it. */
  readonly storeDir: string;
}

/**
 * Starts nats-server with JetStream on a free port of 127.0.0.1, its store in a temp directory, for tests. It
 * resolves once the server logs that it is ready (JetStream is started before that). Installs the Debian package
 * first when it is missing and we are root.
 *
 * @example
 * const nats = await startNats();
 * try { await useBroker(nats.url); } finally { await nats.stop(); }
 */
export async function startNats(): Promise<NatsServer> {
  const server = await startThrowawayServer({
    binary: '/usr/sbin/nats-server',
    debianPackage: 'nats-server',
    args: (dir, port) => ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)],
    ready: 'Server is ready',
  });
  return { url: `nats://127.0.0.1:${server.port}`, storeDir: server.dir, ...server };
}
