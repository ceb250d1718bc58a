import { resolve } from 'node:path';
import { InvalidArgumentError } from '@twofold/core';
import { BetterSqlite3Connection, type BetterSqlite3Failure, loadBetterSqlite3 } from './better-sqlite3.js';
import type { SqliteConnection, SqliteDriverName } from './connection.js';
import { loadNodeSqlite, NodeSqliteConnection } from './node-sqlite.js';

const DRIVERS: readonly SqliteDriverName[] = ['node:sqlite', 'better-sqlite3'];
const INSTALL = 'npm install better-sqlite3';
// The page cache of each connection, in KiB: SQLite's own default, which `node:sqlite` keeps.
const PAGE_CACHE_KIB = 2_000;

// Loaded once per process, on first use.
let nodeSqlite: ReturnType<typeof loadNodeSqlite> | null = null;
let betterSqlite3: ReturnType<typeof loadBetterSqlite3> | null = null;
// Set only by the test suite, which runs the package's tests once per driver.
let preferred: SqliteDriverName | undefined;
// The files open in this process, with the driver that opened them and how many connections hold them open.
const files = new Map<string, { readonly driver: SqliteDriverName; readonly connections: number }>();

function nodeSqliteModule() {
  nodeSqlite ??= loadNodeSqlite();
  return nodeSqlite;
}

function betterSqlite3Module() {
  betterSqlite3 ??= loadBetterSqlite3();
  return betterSqlite3;
}

function failed(loaded: ReturnType<typeof loadBetterSqlite3>): loaded is BetterSqlite3Failure {
  return typeof loaded !== 'function';
}

/** Says whether a driver can open a connection in this process. */
export function driverAvailable(driver: SqliteDriverName): boolean {
  return driver === 'node:sqlite' ? nodeSqliteModule() !== undefined : !failed(betterSqlite3Module());
}

/** The driver a store uses when not told: `node:sqlite` where Node has it, otherwise better-sqlite3. */
export function defaultDriver(): SqliteDriverName {
  if (preferred !== undefined) return preferred;
  return driverAvailable('node:sqlite') ? 'node:sqlite' : 'better-sqlite3';
}

/** Makes `driver` the default of this process; the test suite's way to run every test once per driver. */
export function preferDriver(driver: SqliteDriverName | undefined): void {
  preferred = driver;
}

/** Checks a `driver` option: `undefined` (the default driver) or one of the driver names. */
export function checkDriver(driver: unknown, owner: string): SqliteDriverName | undefined {
  if (driver === undefined || DRIVERS.includes(driver as SqliteDriverName)) {
    return driver as SqliteDriverName | undefined;
  }
  throw new InvalidArgumentError(`${owner}: options.driver must be 'node:sqlite' or 'better-sqlite3'`);
}

/**
 * Opens `path` with `driver`, or the default driver when it is undefined, waiting up to `busyTimeoutMs` for a lock
 * another connection holds (set first, before any statement that may read the file: a process that opens a file
 * while another recovers its write-ahead log after a crash waits instead of failing with 'database is locked'),
 * with a page cache of 2,000 KiB. Fails with an error that says what to install when the driver cannot load here.
 */
export function openConnection(
  path: string,
  driver: SqliteDriverName | undefined,
  owner: string,
  busyTimeoutMs = 5_000,
): SqliteConnection {
  const chosen = driver ?? defaultDriver();
  const file = path === ':memory:' || path === '' ? undefined : resolve(path);
  const held = file === undefined ? undefined : files.get(file);
  if (held !== undefined && held.driver !== chosen) {
    // Two copies of SQLite in one process do not see each other's POSIX locks: one closing a file drops the
    // other's locks on it, and two writers can then corrupt it.
    throw new InvalidArgumentError(
      `${owner}: ${path} is already open in this process with ${held.driver}; open it with driver '${held.driver}' too, since two SQLite libraries in one process do not see each other's locks`,
    );
  }
  const closed = () => {
    if (file === undefined) return;
    const current = files.get(file);
    if (current === undefined || current.connections <= 1) files.delete(file);
    else files.set(file, { driver: current.driver, connections: current.connections - 1 });
  };
  const db = connect(path, chosen, { asked: driver !== undefined, owner, closed });
  if (file !== undefined) files.set(file, { driver: chosen, connections: (held?.connections ?? 0) + 1 });
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    // better-sqlite3 builds SQLite with a 16,000 KiB page cache per connection, which a growing file fills: one size
    // on both drivers, so that what a process holds does not depend on the driver.
    db.exec(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** `asked`: the caller named the driver; `closed` runs when the connection closes. */
interface ConnectOptions {
  readonly asked: boolean;
  readonly owner: string;
  readonly closed: () => void;
}

function connect(path: string, driver: SqliteDriverName, { asked, owner, closed }: ConnectOptions): SqliteConnection {
  if (driver === 'node:sqlite') {
    const module = nodeSqliteModule();
    if (module === undefined) {
      throw new Error(
        `${owner}: node:sqlite needs Node 22.13 or later, and this is Node ${process.version}: run a newer Node, or ${INSTALL} and use driver 'better-sqlite3'`,
      );
    }
    return new NodeSqliteConnection(module, path, closed);
  }
  const Database = betterSqlite3Module();
  if (failed(Database))
    throw new Error(`${owner}: ${betterSqlite3Problem(Database, !asked)}`, { cause: Database.error });
  return new BetterSqlite3Connection(Database, path, closed);
}

/** Why no connection could open when better-sqlite3 is the driver: `chosen` when no driver was asked for. */
export function betterSqlite3Problem(failure: BetterSqlite3Failure, chosen: boolean): string {
  if (!failure.missing) {
    return `better-sqlite3 does not load on Node ${process.version} (rebuild it with \`npm rebuild better-sqlite3\`)`;
  }
  return chosen
    ? `Node ${process.version} has no node:sqlite (Node 22.13 and later have it), and better-sqlite3 is not installed: ${INSTALL}`
    : `better-sqlite3 is not installed: ${INSTALL}`;
}
