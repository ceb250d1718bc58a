import { type DocumentReader, type DocumentTx, projection } from '@twofold/core';
import type { z } from 'zod';
import { TaskAdded, TaskCompleted, type TaskView } from './messages.js';

// A task as stored: with the position of the event that added it, which orders the list.
type Stored = z.infer<typeof TaskView> & { readonly position: number };

/** The read model of the task list: one document per task. */
export const taskList = projection<DocumentTx>('task-list')
  .on(TaskAdded, ({ taskId, title }, tx, event) =>
    tx.collection<Stored>('tasks').put(taskId, { taskId, title, done: false, position: event.position }),
  )
  .on(TaskCompleted, async ({ taskId }, tx) => {
    await tx.collection<Stored>('tasks').update(taskId, { done: true });
  });

/** Every task, oldest first. */
export async function allTasks(reader: DocumentReader): Promise<z.infer<typeof TaskView>[]> {
  const tasks = await reader.collection<Stored>('tasks').find({}, { orderBy: { field: 'position', direction: 'asc' } });
  return tasks.map(({ taskId, title, done }) => ({ taskId, title, done }));
}
