import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, isTwofoldError } from '@twofold/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runFixture } from '../../tests/child-process.js';
import { pragma, rawDatabase } from '../../tests/raw-database.js';
import { tempDir } from '../../tests/temp-dir.js';
import { type SqliteConnection, sqlite } from '../index.js';
import { checkpointer, SAFETY_NET_PAGES } from './checkpointer.js';
import { closeDatabase, openDatabase, type SqliteConnectionOptions } from './open.js';

const temp = tempDir('twofold-checkpoints-');
const opened: SqliteConnection[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) closeDatabase(db);
});

function open(options: SqliteConnectionOptions = {}): SqliteConnection {
  const db = openDatabase({ path: temp.file(), ...options }, 'unused.db', 'test');
  opened.push(db);
  db.exec('CREATE TABLE IF NOT EXISTS rows (body BLOB)');
  return db;
}

// One commit per row of about a page: a few hundred WAL frames, far below any automatic checkpoint.
function write(db: SqliteConnection, commits = 150): void {
  const insert = db.prepare('INSERT INTO rows VALUES (randomblob(3000))');
  for (let i = 0; i < commits; i++) insert.run();
}

// True once the database file holds every page of the database: a checkpoint copied the WAL back into it.
function checkpointed(db: SqliteConnection): boolean {
  const pages = pragma(db, 'page_count') as number;
  return statSync(db.name).size >= pages * (pragma(db, 'page_size') as number);
}

// Whether `db` is checkpointed once the worker has ended a round begun now.
async function afterRound(db: SqliteConnection): Promise<boolean> {
  await checkpointer.nextRound();
  return checkpointed(db);
}

const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
const autocheckpoint = (db: SqliteConnection) => pragma(db, 'wal_autocheckpoint');

describe('background checkpoints', () => {
  it('copy the WAL of a file database into it without a commit doing so', async () => {
    const db = open();
    // With the worker stopped, nothing copies the WAL; the next file opened starts it again, for every file.
    await checkpointer.stop();
    write(db);
    expect(checkpointed(db)).toBe(false);
    open();
    expect(await afterRound(db)).toBe(true);
  });

  it('keep the WAL from growing: each pause lets the next commit start it over', async () => {
    const db = open();
    write(db);
    const oneBatch = walBytes(db.name);
    for (let i = 0; i < 5; i++) {
      // The round has ended, so it has synced the file as well as copied the pages: the WAL can start over.
      expect(await afterRound(db)).toBe(true);
      write(db);
    }
    // Without checkpoints the WAL would hold all six batches.
    expect(walBytes(db.name)).toBeLessThan(oneBatch * 3);
  });

  it('leave PRAGMA data_version of the main connection unchanged', async () => {
    const db = open();
    const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    write(db);
    const before = dataVersion.get();
    expect(await afterRound(db)).toBe(true);
    expect(dataVersion.get()).toBe(before);
    const other = rawDatabase(db.name);
    other.exec('INSERT INTO rows VALUES (1)');
    other.close();
    expect(dataVersion.get()).not.toBe(before);
  });

  it('leave the safety net to the main connection: it checkpoints a WAL of SAFETY_NET_PAGES while the worker is stopped', async () => {
    const db = open();
    expect(autocheckpoint(db)).toBe(SAFETY_NET_PAGES);
    await checkpointer.stop();
    // One commit of more pages than the safety net, one row per page.
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO rows SELECT randomblob(3500) FROM n`,
    ).run(SAFETY_NET_PAGES + 500);
    expect(checkpointed(db)).toBe(true);

    write(db);
    expect(checkpointed(db)).toBe(false);
    // The next file opened starts the worker again, for every file.
    open();
    expect(await afterRound(db)).toBe(true);
  });

  it('survive files that are gone or not databases, quietly, and go on with the others', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const canary = open();
    const gone = open();
    const broken = open();
    for (const suffix of ['', '-wal', '-shm']) {
      rmSync(`${gone.name}${suffix}`);
      rmSync(`${broken.name}${suffix}`);
    }
    writeFileSync(broken.name, 'not a database '.repeat(1_000));
    // A round over them all: the worker has tried to checkpoint the gone and the broken file.
    await checkpointer.nextRound();
    expect(existsSync(gone.name)).toBe(false);
    write(canary);
    expect(await afterRound(canary)).toBe(true);
    expect(stderr).not.toHaveBeenCalled();
    stderr.mockRestore();
  });

  it('never keep the process alive', async () => {
    const child = runFixture('open-and-return.ts', [temp.file()]);
    await child.until((line) => line === 'done');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});

describe('closeDatabase', () => {
  it('lets go of the file: the last connection closed takes the WAL with it', async () => {
    const db = open();
    write(db);
    expect(await afterRound(db)).toBe(true);
    closeDatabase(db);
    expect(db.open).toBe(false);
    expect(existsSync(`${db.name}-wal`)).toBe(false);
    closeDatabase(db);
  });

  it('keeps checkpointing a file for the connections still open on it', async () => {
    const first = open();
    const second = openDatabase({ path: first.name }, 'unused.db', 'test');
    closeDatabase(first);
    write(second);
    expect(await afterRound(second)).toBe(true);
    closeDatabase(second);
    expect(existsSync(`${second.name}-wal`)).toBe(false);
  });

  it('is what a handle closes its connection with', async () => {
    const path = temp.file('stores');
    const db = sqlite(path);
    const reader = rawDatabase(path);
    const pages = () => pragma(reader, 'page_count') as number;
    await checkpointer.nextRound();
    expect(statSync(path).size).toBeGreaterThanOrEqual(pages() * 4096);
    reader.close();
    await db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});

describe("checkpoint: 'inline'", () => {
  it('leaves checkpoints to SQLite, inside the commit that fills 1000 pages', async () => {
    const db = open({ checkpoint: 'inline' });
    expect(autocheckpoint(db)).toBe(1000);
    // A file beside it that the worker checkpoints: the round that copies it would have copied this one too.
    const beside = open();
    write(db);
    write(beside);
    expect(await afterRound(beside)).toBe(true);
    expect(checkpointed(db)).toBe(false);
  });

  it('is what an in-memory database gets', () => {
    const db = openDatabase({ path: ':memory:' }, 'unused.db', 'test');
    opened.push(db);
    expect(autocheckpoint(db)).toBe(1000);
  });

  it('or background: anything else is refused with a clear error', () => {
    for (const checkpoint of ['sometimes', '', 'BACKGROUND', true]) {
      const options = { path: temp.file(), checkpoint } as unknown as SqliteConnectionOptions;
      expect(() => openDatabase(options, 'unused.db', 'test')).toThrow(InvalidArgumentError);
      expect(() => sqlite(options)).toThrow("sqlite(): options.checkpoint must be 'background' or 'inline'");
    }
    let error: unknown;
    try {
      sqlite({ path: temp.file(), checkpoint: 'off' as 'inline' }).close();
    } catch (e) {
      error = e;
    }
    expect(isTwofoldError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
