// A test per command and a read-your-writes test, on memory and on an SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, DomainError, type InlineDocumentTx, memory } from '@twofold/core';
import { sqlite } from '@twofold/sqlite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { todo } from '../src/app.js';
import { AddTask, CompleteTask, Tasks } from '../src/messages.js';

const dir = mkdtempSync(join(tmpdir(), 'todo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stores: [string, () => Database<unknown, InlineDocumentTx>][] = [
  ['memory', () => memory()],
  ['SQLite', () => sqlite(join(dir, `${crypto.randomUUID()}.db`))],
];

describe.each(stores)('the app on %s', (_, open) => {
  let app: Awaited<ReturnType<typeof started>>;
  const started = () => todo(open()).start();
  afterEach(() => app.close());

  it('AddTask adds a task once', async () => {
    app = await started();
    const { position } = await app.execute(AddTask, { taskId: 't1', title: 'Write the first test' });
    expect(await app.ask(Tasks, {}, { after: position })).toEqual([
      { taskId: 't1', title: 'Write the first test', done: false },
    ]);
    const again = await app.send(AddTask, { taskId: 't1', title: 'Again' }).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(DomainError);
    expect(again).toMatchObject({ rule: 'TASK_EXISTS' });
    await expect(app.send(AddTask, { taskId: 't2', title: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('CompleteTask completes an open task once, and refuses a task that does not exist', async () => {
    app = await started();
    await app.send(AddTask, { taskId: 't1', title: 'Write the first test' });
    await app.send(CompleteTask, { taskId: 't1' });
    await expect(app.send(CompleteTask, { taskId: 't1' })).rejects.toMatchObject({ rule: 'TASK_DONE' });
    await expect(app.send(CompleteTask, { taskId: 'nope' })).rejects.toMatchObject({ rule: 'NO_TASK' });
  });

  it('Tasks reads its own writes: every task, oldest first', async () => {
    app = await started();
    await app.send(AddTask, { taskId: 'b', title: 'First' });
    await app.send(AddTask, { taskId: 'a', title: 'Second' });
    const { position } = await app.execute(CompleteTask, { taskId: 'b' });
    expect(await app.ask(Tasks, {}, { after: position })).toEqual([
      { taskId: 'b', title: 'First', done: true },
      { taskId: 'a', title: 'Second', done: false },
    ]);
  });
});
