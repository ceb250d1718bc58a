import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinary, exec, freePort } from './process.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

/** A running throwaway PostgreSQL cluster. */
export interface PostgresServer extends ServerProcess {
  /** Connection string of the `postgres` superuser on the default database, e.g. `postgres://postgres@127.0.0.1:54321/postgres`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Connection string for another database on the same cluster. */
  urlFor(database: string): string;
}

export interface PostgresOptions {
  /** Keep fsync and synchronous commit on. Default false: faster, since the data is thrown away, but a SIGKILL
   * then loses the last commits; crash tests need `durable: true`. */
  readonly durable?: boolean;
  /** Extra `-c name=value` settings. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

function findBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  // PostgreSQL refuses to run as root: run it as the postgres user the Debian package creates.
  const [uid, gid] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts a PostgreSQL cluster in a temp directory on a free port of 127.0.0.1 (initdb, trust auth), for tests.
 * Installs the Debian package first when it is missing and we are root.
 *
 * @example
 * const pg = await startPostgres();
 * try { await useDatabase(pg.url); } finally { await pg.stop(); }
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = await ensureBinary(findBin, 'postgresql');
  const user = await postgresUser();
  const dataDir = mkdtempSync(join(tmpdir(), 'twofold-pg-'));
  if (user) chownSync(dataDir, user.uid, user.gid);
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  await exec(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    ...ids,
    timeout: 120_000,
  });
  const port = await freePort();
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: dataDir,
    max_connections: 200,
    ...(options.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const server = await startServerProcess({
    command: join(bin, 'postgres'),
    args,
    dir: dataDir,
    ready: 'database system is ready to accept connections',
    stopSignal: 'SIGINT',
    ...ids,
    timeoutMs: 60_000,
  });
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return { url: urlFor('postgres'), port, dataDir, urlFor, ...server };
}
