/**
 * The checkpointer's thread, as plain CommonJS that Node runs with `new Worker(source, { eval: true })`. A string
 * rather than a file: a file would need a loader to run from the TypeScript sources (tsx, vitest) and a copy step
 * to run from `dist/`, and would break in bundles; a string runs the same everywhere, with no `execArgv`.
 *
 * `workerData`: `{ driver, intervalMs, ready }` (the resolved better-sqlite3 entry, the time between two rounds
 * of checkpoints, and an Int32Array the thread sets to 1 once it listens). Messages: `{ open: path }` adds a
 * file; `{ close: path, done }` closes the thread's connection to it, then sets and notifies the Int32Array
 * `done`, so that the caller can wait for the file to be free.
 *
 * Every error is swallowed: a file that is gone, a full disk or SQLITE_BUSY only means that this round checkpoints
 * nothing, with a fresh connection next round, and the main connection's own automatic checkpoint (the safety
 * net) keeps the WAL bounded meanwhile.
 */
export const checkpointWorkerSource = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

// path -> this thread's checkpoint statement on its own connection, undefined until a round opens it (and again
// after an error).
const files = new Map();
let timer;

function closeQuietly(checkpoint) {
  try {
    checkpoint.database.close();
  } catch {}
}

function round() {
  timer = undefined;
  for (const [path, known] of files) {
    let checkpoint = known;
    try {
      if (checkpoint === undefined) {
        // fileMustExist: a file deleted under us is not created again, empty, by its checkpointer.
        const db = new Database(path, { fileMustExist: true, timeout: 0 });
        try {
          checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
        } catch (error) {
          db.close();
          throw error;
        }
        files.set(path, checkpoint);
      }
      checkpoint.get();
    } catch {
      if (checkpoint !== undefined) closeQuietly(checkpoint);
      files.set(path, undefined);
    }
  }
  schedule();
}

function schedule() {
  if (timer === undefined && files.size > 0) timer = setTimeout(round, workerData.intervalMs);
}

parentPort.on('message', (message) => {
  if (typeof message.open === 'string') {
    if (!files.has(message.open)) files.set(message.open, undefined);
    schedule();
    return;
  }
  const checkpoint = files.get(message.close);
  files.delete(message.close);
  if (checkpoint !== undefined) closeQuietly(checkpoint);
  const done = new Int32Array(message.done);
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});

const ready = new Int32Array(workerData.ready);
Atomics.store(ready, 0, 1);
`;
