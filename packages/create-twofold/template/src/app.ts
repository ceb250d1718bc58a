import { type Database, type InlineDocumentTx, streamId, twofold } from '@twofold/core';
import { Tasks } from './messages.js';
import { task } from './task.js';
import { allTasks, taskList } from './task-list.js';

/** The app on a database handle: `sqlite(path)` from @twofold/sqlite, or `memory()` from @twofold/core. */
export function todo<WriteTx>(store: Database<WriteTx, InlineDocumentTx>) {
  return twofold({ store })
    .decider(task, { stream: ({ data }) => streamId('task', data.taskId) })
    .projection(taskList)
    .query(Tasks, (_, { read }) => allTasks(read(taskList)), { reads: [taskList] });
}
