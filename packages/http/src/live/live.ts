import type { ServerResponse } from 'node:http';
import type { GlobalPosition, QueryDefinition } from '@twofold/core';

/**
 * Tells live queries when to re-run. The plugin calls it once per open `/live` connection and re-runs the
 * query for each item the iterable yields (bursts are coalesced into one re-run). An item that is a global
 * position is also passed on as the re-run's `after`, so the answer includes that write. End the iterable
 * when `signal` aborts (the connection closed). `query` lets a source stay quiet for unrelated changes.
 *
 * @example
 * import { on } from 'node:events';
 * const bus = new EventEmitter();          // emit 'change' with the position after each commit
 * const changes: ChangeSource = (_query, signal) => on(bus, 'change', { signal });
 */
export type ChangeSource = (query: QueryDefinition, signal: AbortSignal) => AsyncIterable<unknown>;

export interface LiveStream {
  readonly response: ServerResponse;
  readonly headers: Readonly<Record<string, string>>;
  readonly first: unknown;
  readonly changes: AsyncIterable<unknown>;
  /** Aborts when the client goes away; aborting it ends the stream. */
  readonly controller: AbortController;
  readonly rerun: (after: GlobalPosition | undefined) => Promise<unknown>;
  /** Turns a failed re-run into the JSON of a problem event. */
  readonly problem: (error: unknown) => unknown;
}

const HEARTBEAT_MS = 15_000;

/**
 * Serves one live query as server-sent events: a `result` event now, another whenever a re-run's answer
 * differs from the last one sent, a comment line as heartbeat, and a final `problem` event if a re-run fails.
 */
export async function serveLive(stream: LiveStream): Promise<void> {
  const { response, controller } = stream;
  const signal = controller.signal;
  response.writeHead(200, {
    ...stream.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let id = 0;
  const send = (event: string, json: string) => {
    id += 1;
    response.write(`event: ${event}\nid: ${id}\ndata: ${json}\n\n`);
  };
  let last = JSON.stringify({ result: stream.first });
  send('result', last);
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();

  let pending = false;
  let ended = false;
  let hint: GlobalPosition | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  signal.addEventListener('abort', poke, { once: true });
  void (async () => {
    try {
      for await (const change of stream.changes) {
        if (signal.aborted) break;
        pending = true;
        if (isPosition(change) && (hint === undefined || change > hint)) hint = change;
        poke();
      }
    } catch {
      // A source that ends by throwing (an AbortError, typically) ends the stream like one that returns.
    } finally {
      ended = true;
      poke();
    }
  })();

  try {
    while (!signal.aborted) {
      if (!pending) {
        if (ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      pending = false;
      const after = hint;
      hint = undefined;
      let json: string;
      try {
        json = JSON.stringify({ result: await stream.rerun(after) });
      } catch (error) {
        if (!signal.aborted) send('problem', JSON.stringify(stream.problem(error)));
        break;
      }
      if (json !== last && !signal.aborted) {
        last = json;
        send('result', json);
      }
    }
  } finally {
    clearInterval(heartbeat);
    signal.removeEventListener('abort', poke);
    if (!signal.aborted) controller.abort();
    if (!response.destroyed) response.end();
  }
}

function isPosition(value: unknown): value is GlobalPosition {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
