/**
 * The checkpointer's thread, as plain CommonJS that Node runs with `new Worker(source, { eval: true })`. A string
 * rather than a file: a file would need a loader to run from the TypeScript sources (tsx, vitest) and a copy step
 * to run from `dist/`, and would break in bundles; a string runs the same everywhere, with no `execArgv`.
 *
 * `workerData`: `{ intervalMs, ready }` (the time between two rounds of checkpoints, and an Int32Array the thread
 * sets to 1 once it listens). Messages: `{ open: path, driver }` adds a file, which the thread opens with
 * `node:sqlite` when `driver` says so and otherwise with the better-sqlite3 entry module `driver` names;
 * `{ close: path, done }` closes the thread's connection to it, then sets and notifies the Int32Array `done`, so
 * that the caller can wait for the file to be free; `{ round: id }` asks for `{ round: id }` back once a round that
 * begins after it has ended (at once with no file to checkpoint).
 *
 * Every error is swallowed: a file that is gone, a full disk or SQLITE_BUSY only means that this round checkpoints
 * nothing, with a fresh connection next round, and the main connection's own automatic checkpoint (the safety
 * net) keeps the WAL bounded meanwhile.
 */
export const checkpointWorkerSource = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');

// Node 22 warns that node:sqlite is experimental when it loads; the main thread has already said so once.
process.removeAllListeners('warning');

// path -> { driver, checkpoint: { run, close } | undefined }, the checkpoint undefined until a round opens this
// thread's own connection (and again after an error).
const files = new Map();
let timer;
// The rounds asked for since the last one began.
let asked = [];

// A file deleted under us must not be created again, empty, by its checkpointer: open it only if it exists.
function openFile(path, driver) {
  if (driver === 'node:sqlite') {
    const { DatabaseSync } = require('node:sqlite');
    return prepared(new DatabaseSync(pathToFileURL(path).href + '?mode=rw'));
  }
  const Database = require(driver);
  return prepared(new Database(path, { fileMustExist: true, timeout: 0 }));
}

function prepared(db) {
  try {
    const statement = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    return { run: () => statement.get(), close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}

function closeQuietly(checkpoint) {
  try {
    checkpoint.close();
  } catch {}
}

function round() {
  timer = undefined;
  const answer = asked;
  asked = [];
  for (const [path, file] of files) {
    try {
      file.checkpoint ??= openFile(path, file.driver);
      file.checkpoint.run();
    } catch {
      if (file.checkpoint !== undefined) closeQuietly(file.checkpoint);
      file.checkpoint = undefined;
    }
  }
  for (const id of answer) parentPort.postMessage({ round: id });
  schedule();
}

function schedule() {
  if (timer === undefined && files.size > 0) timer = setTimeout(round, workerData.intervalMs);
}

parentPort.on('message', (message) => {
  if (typeof message.round === 'number') {
    if (files.size === 0) parentPort.postMessage({ round: message.round });
    else asked.push(message.round);
    return;
  }
  if (typeof message.open === 'string') {
    if (!files.has(message.open)) files.set(message.open, { driver: message.driver, checkpoint: undefined });
    schedule();
    return;
  }
  const file = files.get(message.close);
  files.delete(message.close);
  if (file?.checkpoint !== undefined) closeQuietly(file.checkpoint);
  const done = new Int32Array(message.done);
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});

const ready = new Int32Array(workerData.ready);
Atomics.store(ready, 0, 1);
`;
