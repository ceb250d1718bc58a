import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { sqlite } from '../index.js';
import { loadBetterSqlite3 } from './better-sqlite3.js';
import type { SqliteConnection, SqliteDriverName } from './connection.js';
import { loadNodeSqlite, NodeSqliteConnection } from './node-sqlite.js';
import {
  betterSqlite3Problem,
  checkDriver,
  defaultDriver,
  driverAvailable,
  openConnection,
} from './open-connection.js';

// Runs once per driver: the package's vitest projects each make one driver the default.
const driver = defaultDriver();
const opened: SqliteConnection[] = [];
const folders: string[] = [];

function open(path = ':memory:'): SqliteConnection {
  const db = openConnection(path, undefined, 'test');
  opened.push(db);
  return db;
}

function tempFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'twofold-driver-'));
  folders.push(folder);
  return join(folder, 'test.db');
}

function withRows(db: SqliteConnection): SqliteConnection {
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  return db;
}

afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe(`SqliteConnection on ${driver}`, () => {
  it('opens with the driver the suite made the default, and reports it', () => {
    expect(open().driver).toBe(driver);
  });

  it('opens with a page cache of 2,000 KiB, which better-sqlite3 alone would make 16,000', () => {
    expect(open(tempFile()).prepare('PRAGMA cache_size').pluck().get()).toBe(-2000);
  });

  it('waits while it opens for a lock another connection holds, rather than failing as locked', async () => {
    const path = tempFile();
    open(path).exec('CREATE TABLE x (v)');
    // Another thread of SQLite holds the file's exclusive lock for 300 ms (a rollback journal, so that even reading
    // the schema waits), as another process does while it recovers the log after a crash.
    const holder = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
      const db = workerData.driver === 'node:sqlite'
        ? new (require('node:sqlite').DatabaseSync)(workerData.path)
        : new (require(workerData.betterSqlite3))(workerData.path);
      db.exec('PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE; INSERT INTO x VALUES (1)');
      parentPort.postMessage('held');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      db.exec('COMMIT');
      db.close();`,
      {
        eval: true,
        workerData: { path, driver, betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3') },
      },
    );
    await new Promise((resolve) => holder.once('message', resolve));
    const opened = open(path);
    expect(opened.prepare('SELECT count(*) FROM x').pluck().get()).toBe(1);
    await new Promise((resolve) => holder.once('exit', resolve));
  });

  it('binds positional and named parameters, and ignores named fields the statement does not use', () => {
    const db = withRows(open());
    const insert = db.prepare<[{ id: number; name: string; extra: string }]>('INSERT INTO t VALUES (@id, :name)');
    expect(insert.run({ id: 3, name: 'c', extra: 'ignored' })).toMatchObject({ changes: 1, lastInsertRowid: 3 });
    const byId = db.prepare<[number], { id: number; name: string }>('SELECT id, name FROM t WHERE id = ?');
    expect({ ...byId.get(3) }).toEqual({ id: 3, name: 'c' });
    expect(byId.get(99)).toBeUndefined();
  });

  it('returns every row, or iterates them, as objects keyed by column', () => {
    const db = withRows(open());
    const rows = db.prepare<[], { id: number; name: string }>('SELECT id, name FROM t ORDER BY id');
    expect(rows.all().map((row) => ({ ...row }))).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
    expect([...rows.iterate()].map((row) => row.name)).toEqual(['a', 'b']);
  });

  it('plucks the first column from get, all and iterate, until told not to', () => {
    const db = withRows(open());
    const names = db.prepare<[], string>('SELECT name, id FROM t ORDER BY id').pluck();
    expect(names.get()).toBe('a');
    expect(names.all()).toEqual(['a', 'b']);
    expect([...names.iterate()]).toEqual(['a', 'b']);
    expect(db.prepare<[], number>('SELECT id FROM t WHERE id > 5').pluck().get()).toBeUndefined();
    expect(names.pluck(false).get()).toMatchObject({ name: 'a', id: 1 });
  });

  it('runs several statements and pragmas in one exec', () => {
    const db = open(tempFile());
    db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 250; CREATE TABLE x (v)');
    expect(db.prepare('PRAGMA journal_mode').pluck().get()).toBe('wal');
    expect(db.prepare('PRAGMA busy_timeout').pluck().get()).toBe(250);
  });

  it('commits a transaction, and rolls it back and rethrows when the work throws', () => {
    const db = withRows(open());
    const insert = db.prepare<[number, string]>('INSERT INTO t VALUES (?, ?)');
    const count = db.prepare<[], number>('SELECT count(*) FROM t').pluck();
    const both = db.transaction((first: number, fail: boolean) => {
      expect(db.inTransaction).toBe(true);
      insert.run(first, 'x');
      insert.run(first + 1, 'y');
      if (fail) throw new Error('refused');
      return 'done';
    });
    expect(both(10, false)).toBe('done');
    expect(() => both.immediate(20, true)).toThrow('refused');
    expect(count.get()).toBe(4);
    expect(db.inTransaction).toBe(false);
  });

  it('runs a transaction inside another in a savepoint that rolls back alone', () => {
    const db = withRows(open());
    const insert = db.prepare<[number]>("INSERT INTO t VALUES (?, 'n')");
    const inner = db.transaction((id: number) => {
      insert.run(id);
      throw new Error('inner failed');
    });
    db.transaction(() => {
      insert.run(10);
      expect(() => inner(11)).toThrow('inner failed');
      expect(db.inTransaction).toBe(true);
      insert.run(12);
    }).immediate();
    expect(db.prepare('SELECT id FROM t ORDER BY id').pluck().all()).toEqual([1, 2, 10, 12]);
  });

  it('knows when SQLite ended the transaction itself, and rethrows without a second rollback', () => {
    const db = withRows(open());
    db.exec('CREATE TABLE u (id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK)');
    const insert = db.prepare<[number]>('INSERT INTO u VALUES (?)');
    const inner = db.transaction(() => insert.run(1));
    const outer = db.transaction(() => {
      insert.run(1);
      try {
        inner();
      } finally {
        expect(db.inTransaction).toBe(false);
      }
    });
    expect(() => outer.immediate()).toThrow(/UNIQUE/);
    expect(db.prepare('SELECT count(*) FROM u').pluck().get()).toBe(0);
  });

  it('takes the write lock at BEGIN in an immediate transaction', () => {
    const path = tempFile();
    const writer = open(path);
    writer.exec('PRAGMA journal_mode = WAL; CREATE TABLE x (v)');
    const other = open(path);
    other.exec('PRAGMA busy_timeout = 0');
    writer
      .transaction(() => {
        expect(() => other.transaction(() => undefined).immediate()).toThrow(/locked|busy/i);
      })
      .immediate();
    expect(other.inTransaction).toBe(false);
  });

  it('names its file, knows an in-memory database, and closes once however often it is closed', () => {
    const path = tempFile();
    const db = open(path);
    expect([db.name, db.memory, db.open]).toEqual([path, false, true]);
    expect(open().memory).toBe(true);
    db.close();
    db.close();
    expect(db.open).toBe(false);
  });
});

describe('choosing a driver', () => {
  it('refuses a driver it does not know, saying which values it takes', () => {
    expect(() => checkDriver('sqlite3', 'sqlite()')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: "sqlite(): options.driver must be 'node:sqlite' or 'better-sqlite3'",
      }),
    );
    expect(() => sqlite({ path: ':memory:', driver: 'sqlite3' as SqliteDriverName })).toThrow(
      "sqlite(): options.driver must be 'node:sqlite' or 'better-sqlite3'",
    );
    expect(checkDriver(undefined, 'sqlite()')).toBeUndefined();
    expect(checkDriver('better-sqlite3', 'sqlite()')).toBe('better-sqlite3');
  });

  it('refuses to open a file with one driver while the other holds it open in this process', () => {
    const path = tempFile();
    const other = driver === 'node:sqlite' ? 'better-sqlite3' : 'node:sqlite';
    const first = open(path);
    const second = open(path);
    const refused = () => openConnection(path, other, 'sqlite()');
    const message = `sqlite(): ${path} is already open in this process with ${driver}; open it with driver '${driver}' too, since two SQLite libraries in one process do not see each other's locks`;
    expect(refused).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message }));
    first.close();
    first.close();
    expect(refused).toThrow(message);
    second.close();
    if (driverAvailable(other)) refused().close();
    else expect(refused).not.toThrow(message);
  });

  it.skipIf(driverAvailable('node:sqlite'))('on a Node without node:sqlite, says which Node has it', () => {
    expect(() => openConnection(':memory:', 'node:sqlite', 'sqlite()')).toThrow(
      `sqlite(): node:sqlite needs Node 22.13 or later, and this is Node ${process.version}: run a newer Node, or npm install better-sqlite3 and use driver 'better-sqlite3'`,
    );
  });

  it.skipIf(driverAvailable('better-sqlite3'))('where better-sqlite3 does not load, says how to rebuild it', () => {
    expect(() => openConnection(':memory:', 'better-sqlite3', 'sqlite()')).toThrow(
      `sqlite(): better-sqlite3 does not load on Node ${process.version} (rebuild it with \`npm rebuild better-sqlite3\`)`,
    );
  });

  it('names the install command when better-sqlite3 is not installed', () => {
    const outside = mkdtempSync(join(tmpdir(), 'twofold-no-driver-'));
    folders.push(outside);
    const failure = loadBetterSqlite3(pathToFileURL(join(outside, 'app.js')).href);
    expect(failure).toMatchObject({ missing: true });
    if (typeof failure === 'function') return;
    expect(betterSqlite3Problem(failure, true)).toBe(
      `Node ${process.version} has no node:sqlite (Node 22.13 and later have it), and better-sqlite3 is not installed: npm install better-sqlite3`,
    );
    expect(betterSqlite3Problem(failure, false)).toBe('better-sqlite3 is not installed: npm install better-sqlite3');
  });

  it.runIf(driverAvailable('node:sqlite'))('on Node before 22.16, asks SQLite whether a transaction is open', () => {
    const builtIn = loadNodeSqlite()!;
    // That Node's DatabaseSync: the same connection without the isTransaction getter.
    class WithoutIsTransaction extends builtIn.DatabaseSync {
      override get isTransaction(): undefined {
        return undefined;
      }
    }
    const db = new NodeSqliteConnection({ DatabaseSync: WithoutIsTransaction }, ':memory:');
    opened.push(db);
    withRows(db);
    expect(db.inTransaction).toBe(false);
    db.transaction(() => {
      expect(db.inTransaction).toBe(true);
      db.prepare("INSERT INTO t VALUES (3, 'c')").run();
    })();
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
  });
});
