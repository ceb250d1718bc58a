// The app over HTTP, as `npm start` serves it, on a free port.
import { memory } from '@twofold/core';
import { serve } from '@twofold/http';
import { afterEach, expect, it } from 'vitest';
import { todo } from '../src/app.js';

let close: (() => Promise<void>) | undefined;
afterEach(() => close?.());

it('takes commands and answers queries over HTTP, with the problem of a refused command, and its API docs', async () => {
  const app = await todo(memory()).start();
  close = () => app.close();
  const { url } = await serve(app, { port: 0, signals: [] });
  const post = (type: string, body: unknown) =>
    fetch(`${url}/commands/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const added = await post('todo.AddTask', { taskId: 't1', title: 'Ship it' });
  expect(added.status).toBe(200);
  const { position } = (await added.json()) as { position: number };
  // Twofold-After: the query waits until the task list has applied that position (read-your-writes).
  const tasks = await fetch(`${url}/queries/todo.Tasks`, { headers: { 'Twofold-After': String(position) } });
  expect(await tasks.json()).toEqual({ result: [{ taskId: 't1', title: 'Ship it', done: false }] });
  const refused = await post('todo.CompleteTask', { taskId: 'nope' });
  expect(refused.status).toBe(422);
  expect(await refused.json()).toMatchObject({ code: 'DOMAIN_RULE', rule: 'NO_TASK' });
  expect((await fetch(`${url}/docs`)).status).toBe(200);
});
