import { DomainError, defineDecider } from '@twofold/core';
import { AddTask, CompleteTask, TaskAdded, TaskCompleted } from './messages.js';

type Task = 'none' | 'open' | 'done';

/** A task, event-sourced: added once, then completed once. */
export const task = defineDecider({
  name: 'task',
  commands: [AddTask, CompleteTask],
  events: [TaskAdded, TaskCompleted],
  initialState: (): Task => 'none',
  evolve: (_state, event): Task => {
    switch (event.type) {
      case 'todo.TaskAdded':
        return 'open';
      case 'todo.TaskCompleted':
        return 'done';
      default:
        return event satisfies never;
    }
  },
  decide: (command, state) => {
    switch (command.type) {
      case 'todo.AddTask':
        if (state !== 'none') throw new DomainError('TASK_EXISTS', `Task ${command.data.taskId} exists already`);
        return [{ type: 'todo.TaskAdded', data: command.data }];
      case 'todo.CompleteTask':
        if (state === 'none') throw new DomainError('NO_TASK', `There is no task ${command.data.taskId}`);
        if (state === 'done') throw new DomainError('TASK_DONE', `Task ${command.data.taskId} is done already`);
        return [{ type: 'todo.TaskCompleted', data: command.data }];
      default:
        return command satisfies never;
    }
  },
});
