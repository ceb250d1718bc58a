// Every message of the app, each with one schema: it validates what comes in and gives the TypeScript type.
import { defineCommand, defineEvent, defineQuery } from '@twofold/core';
import { z } from 'zod';

const taskId = z.string().min(1).max(64);
const title = z.string().min(1).max(200);

export const AddTask = defineCommand('todo.AddTask', z.object({ taskId, title }));
export const CompleteTask = defineCommand('todo.CompleteTask', z.object({ taskId }));

export const TaskAdded = defineEvent('todo.TaskAdded', z.object({ taskId, title }));
export const TaskCompleted = defineEvent('todo.TaskCompleted', z.object({ taskId }));

export const TaskView = z.object({ taskId: z.string(), title: z.string(), done: z.boolean() });
/** Every task, oldest first. */
export const Tasks = defineQuery('todo.Tasks', z.object({}), z.array(TaskView));
