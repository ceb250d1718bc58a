// The fuzz: requests generated from the hotel's OpenAPI document, valid and spoiled, with junk headers, sent one
// at a time over one keep-alive connection. No answer may be a 5xx or a dropped connection, a 4xx must leave the
// write side as it was, and an Idempotency-Key that was answered 2xx may only replay its own request.

import type { Agent } from 'node:http';
import type { Role } from '../../examples/hotel/src/identity/roles.js';
import { bearer, signIn } from '../../examples/hotel/tests/e2e/setup.js';
import { type Answer, json, keepAlive, type Sent, send, TransportError } from './http.js';
import { junkHeaders } from './junk-headers.js';
import { type Operation, openApiOf, operationsOf } from './openapi.js';
import { seeded } from './random.js';
import { type Generating, hostileValue, jsonText, queryText, spoiled, Vocabulary, validValue } from './values.js';

export interface FuzzOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:40123/api`. */
  readonly api: string;
  readonly requests: number;
  readonly seed: number;
  /** The server's today, for dates. */
  readonly today: string;
  /** A digest of the write side: equal before and after a request when it committed nothing. */
  readonly writeSide: () => Promise<string>;
  readonly log?: (line: string) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly requests: number;
  /** Answers by status; `dropped` counts requests that got no answer. */
  readonly statuses: Readonly<Record<string, number>>;
  /** Commands answered 2xx, and refused by a domain rule (422 with a rule). */
  readonly commands: { readonly succeeded: number; readonly refused: number };
  /** One line per broken promise, with the request that broke it. */
  readonly failures: readonly string[];
}

/**
 * Fuzzes the API at `api`.
 *
 * @example
 * const report = await runFuzz({ api, requests: 1000, seed: 1, today: '2030-03-01', writeSide: () => writes.digest() });
 * expect(report.failures).toEqual([]);
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { api, seed } = options;
  const agent = keepAlive(1);
  const random = seeded(seed);
  const g: Generating = { random, vocabulary: new Vocabulary(), today: options.today };
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const commands = { succeeded: 0, refused: 0 };
  const keys = new Map<string, { readonly request: string; readonly answer: string }>();
  try {
    const doc = await openApiOf(agent, api);
    const operations = operationsOf(doc);
    const commandOperations = operations.filter((o) => o.tag === 'commands');
    const identities = await signInAll(api);
    let head = 0;
    let digest = await options.writeSide();
    let previous = '';
    for (let i = 0; i < options.requests; i++) {
      // Commands are where state changes: they get more of the requests than their share of the document.
      const operation =
        random.next() < 0.3 && commandOperations.length > 0 ? random.pick(commandOperations) : random.pick(operations);
      // Most requests come from a manager, who may do everything, so that they reach the handlers.
      const who = identities.length > 1 && random.next() < 0.5 ? identities.at(-1)! : random.pick(identities);
      const sent = generate(operation, g, { api, head, credentials: who.headers });
      const shown = show(sent);
      let answer: Answer;
      try {
        answer = await send(agent, sent, 15_000);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        statuses.dropped = (statuses.dropped ?? 0) + 1;
        failures.push(`no answer (${error.message.slice(-60)}) to ${shown}, after ${previous}`);
        previous = `${shown} → no answer`;
        continue;
      }
      const status = answer.status;
      statuses[status] = (statuses[status] ?? 0) + 1;
      const before = digest;
      digest = await options.writeSide();
      const summary = `${status} ${answer.body.slice(0, 300)}`;
      if (status >= 500) failures.push(`${summary} to ${shown}`);
      if (status >= 400 && status < 500 && digest !== before)
        failures.push(
          `the write side (${changedParts(before, digest)}) changed on ${summary} to ${shown}, after ${previous}`,
        );
      // A queued command runs later, in the app's worker: the write side is read once it has run, so that what it
      // committed is not laid at the door of the requests after it.
      // The position the command committed at: its answer's, or its status's once a queued one is final.
      let committed = Number(answer.headers['twofold-position']);
      if (status === 202) {
        const settled = await untilFinal(agent, api, answer, who.headers);
        if (settled.problem !== undefined) failures.push(`${settled.problem}: ${shown}`);
        committed = settled.position ?? Number.NaN;
        digest = await options.writeSide();
      }
      // A cancellation goes on in the background (its process manager, billing): the write side is read once it
      // has completed, for the same reason.
      if (status >= 200 && status < 300 && sent.method === 'POST' && sent.url.endsWith('/hotel.CancelBooking')) {
        const manager = identities.at(-1)!.headers;
        const at = Number.isSafeInteger(committed) ? committed : undefined;
        const unfinished = await untilCancellationCompleted(agent, api, String(sent.body), manager, at);
        if (unfinished !== undefined) failures.push(`${unfinished}: ${shown}`);
        digest = await options.writeSide();
      }
      if (status >= 200 && status < 300) {
        const position = Number(answer.headers['twofold-position']);
        if (Number.isSafeInteger(position)) head = Math.max(head, position);
        if (answer.body !== '' && answer.headers['content-type']?.includes('json')) g.vocabulary.learn(json(answer));
      }
      const command = operation.tag === 'commands' && sent.method === 'POST' && sent.url.endsWith(operation.path);
      if (command && status >= 200 && status < 300) commands.succeeded++;
      if (command && status === 422 && answer.body.includes('"rule"')) commands.refused++;
      const key = sent.headers?.['idempotency-key'];
      if (key !== undefined && command) {
        const request = `${who.name} ${sent.url} ${String(sent.body)}`;
        // A queued command's key names the command in the queue, apart from the keys of commands run at once; its
        // answer is the command's id (its status moves on).
        const queued = status === 202 || /respond-async/i.test(sent.headers?.prefer ?? '');
        const slot = `${who.name} ${queued ? 'queued' : 'now'} ${key}`;
        if (status === 202) answer = { ...answer, body: String(json<{ id?: unknown }>(answer).id) };
        const first = keys.get(slot);
        if (first === undefined && status >= 200 && status < 300) keys.set(slot, { request, answer: answer.body });
        else if (first !== undefined && first.request === request && status < 300 && answer.body !== first.answer) {
          failures.push(`a replay of Idempotency-Key ${key} answered ${answer.body} after ${first.answer}: ${shown}`);
        } else if (first !== undefined && first.request !== request && status < 300) {
          failures.push(`Idempotency-Key ${key}, used for ${first.request}, answered ${summary} to ${shown}`);
        }
      }
      previous = `${shown} → ${status}`;
      if ((i + 1) % 1000 === 0) options.log?.(`${i + 1} requests: ${JSON.stringify(statuses)}`);
    }
  } finally {
    agent.destroy();
  }
  return { seed, requests: options.requests, statuses, commands, failures };
}

interface Identity {
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Nobody, a guest, the front desk and a manager (last), each signed in through the demo sign-in. */
async function signInAll(api: string): Promise<Identity[]> {
  const roles: readonly [string, Role][] = [
    ['ada', 'guest'],
    ['desk', 'frontdesk'],
    ['boss', 'manager'],
  ];
  const identities: Identity[] = [{ name: 'nobody', headers: {} }];
  for (const [user, role] of roles)
    identities.push({ name: `${user} (${role})`, headers: bearer(await signIn(api, user, role)) });
  return identities;
}

/**
 * Waits until the cancellation of the booking named in a cancel's body has completed, reading
 * `hotel.CancellationProgress` after the head of the log (so that a booking that was not cancelled reads null at
 * once); what went wrong when it does not complete within a minute.
 */
async function untilCancellationCompleted(
  agent: Agent,
  api: string,
  body: string,
  credentials: Readonly<Record<string, string>>,
  /** Where the cancellation committed, when it did: its progress is read at that position at least. */
  committed: number | undefined,
): Promise<string | undefined> {
  let bookingId: unknown;
  try {
    bookingId = (JSON.parse(body) as { bookingId?: unknown } | null)?.bookingId;
  } catch {
    return undefined;
  }
  if (typeof bookingId !== 'string') return undefined;
  const latest = await send(agent, {
    method: 'GET',
    url: `${api}/queries/hotel.RecentEvents?limit=1`,
    headers: credentials,
  });
  // The log's recent events are a read model of their own, which may not show the cancellation yet.
  const head = Math.max(
    json<{ result: { items: { position: number }[] } }>(latest).result.items[0]?.position ?? 0,
    committed ?? 0,
  );
  const url = `${api}/queries/hotel.CancellationProgress?bookingId=${encodeURIComponent(bookingId.trim())}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await send(agent, {
      method: 'GET',
      url,
      headers: { ...credentials, 'twofold-after': String(head) },
    });
    if (answer.status !== 200)
      return `its cancellation's progress answered ${answer.status} ${answer.body.slice(0, 200)}`;
    const progress = json<{ result: { completed: boolean } | null }>(answer).result;
    // No progress at the cancellation's own position: the request cancelled nothing.
    if (progress === null && committed === undefined) return undefined;
    if (progress?.completed) return undefined;
    if (Date.now() > deadline) return `its cancellation did not complete within a minute: ${JSON.stringify(progress)}`;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Reads the status resource of a command answered 202 until it is final (succeeded, dead or cancelled): its position
 * then, or what went wrong when it has no readable status or is not final within a minute.
 */
async function untilFinal(
  agent: Agent,
  api: string,
  accepted: Answer,
  credentials: Readonly<Record<string, string>>,
): Promise<{ readonly problem?: string; readonly position?: number }> {
  const location = accepted.headers.location;
  if (location === undefined) return { problem: 'a 202 without Location' };
  const url = new URL(location, api).toString();
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const answer = await send(agent, { method: 'GET', url, headers: { ...credentials, prefer: 'wait=20' } }, 30_000);
    if (answer.status !== 200) {
      return { problem: `its status resource answered ${answer.status} ${answer.body.slice(0, 200)}` };
    }
    const { status, position } = json<{ status: string; position?: number }>(answer);
    if (status === 'succeeded') return position === undefined ? {} : { position };
    if (status === 'dead' || status === 'cancelled') return {};
  }
  return { problem: 'the queued command was not final within a minute' };
}

/** One request to `operation`: mostly as the document describes it, often spoiled, sometimes not at all like it. */
function generate(
  operation: Operation,
  g: Generating,
  context: { readonly api: string; readonly head: number; readonly credentials: Readonly<Record<string, string>> },
): Sent {
  const { random } = g;
  const headers: Record<string, string> = { ...context.credentials };
  const query: string[] = [];
  let path = operation.path;
  for (const parameter of operation.parameters) {
    // Optional headers are sent less often than optional query parameters: their formats (an ETag list for
    // If-Match) are more than the document's schema says, and a request spoiled in many ways tests the first only.
    if (!parameter.required && random.next() < (parameter.in === 'header' ? 0.75 : 0.5)) continue;
    const position = parameter.schema.type === 'integer' && /after/i.test(parameter.name);
    const value = position
      ? random.next() < 0.8
        ? random.int(0, context.head)
        : hostileValue(g)
      : random.next() < 0.8
        ? validValue(parameter.schema, g, parameter.name)
        : hostileValue(g);
    if (parameter.in === 'query') query.push(`${queryText(parameter.name)}=${queryText(value)}`);
    if (parameter.in === 'header') headers[parameter.name.toLowerCase()] = headerText(value);
    if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, queryText(value));
  }
  if (headers['idempotency-key'] !== undefined && random.next() < 0.3) {
    headers['idempotency-key'] = `k${random.int(1, 6)}`;
  }
  let body: string | Buffer | undefined;
  if (operation.body !== undefined) {
    const way = random.next();
    body =
      way < 0.45
        ? jsonText(validValue(operation.body, g))
        : way < 0.9
          ? jsonText(spoiled(operation.body, g))
          : random.pick(['', '{', '[1,', 'null', '"a"', '{"a":1}{"b":2}', 'x'.repeat(5000)]);
    if (random.next() < 0.03) body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, junkHeaders(g, body !== undefined));
  let method = operation.method;
  if (random.next() < 0.05) {
    path = random.pick([
      `${path}/`,
      `${path}%00`,
      `${path}%2e%2e%2f`,
      `/${path.split('/')[1]}/hotel.Nope`,
      `/${path.split('/')[1]}/__proto__`,
      `/${path.split('/')[1]}/${'x'.repeat(5000)}`,
      `/${path.split('/')[1]}/${queryText('\ud800')}`,
    ]);
  }
  if (random.next() < 0.03) method = random.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  if (random.next() < 0.03)
    query.push(random.pick(['%zz=1', '%=%', '&&&', `a=${'b'.repeat(10_000)}`, 'after=1&after=2']));
  const search = query.length === 0 ? '' : `?${query.join('&')}`;
  return { method, url: `${context.api}${path}${search}`, headers, body };
}

/** A header's text: latin-1 only, since no client can send more, and no CR, LF or NUL. */
function headerText(value: unknown): string {
  const text = typeof value === 'string' ? value : jsonText(value);
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '\xff').slice(0, 20_000);
}

function show(sent: Sent): string {
  const body = sent.body === undefined ? '' : ` ${JSON.stringify(String(sent.body).slice(0, 200))}`;
  const headers = Object.entries(sent.headers ?? {})
    .filter(([name]) => name !== 'authorization')
    .map(([name, value]) => `${name}: ${JSON.stringify(value.slice(0, 60))}`)
    .join(', ');
  return `${sent.method} ${sent.url.slice(0, 300)} {${headers}}${body}`;
}

// The names of the parts (`name=digest`, space-separated) that differ between two digests of the write side.
function changedParts(before: string, after: string): string {
  const parts = (digest: string) => new Map(digest.split(' ').map((part) => [part.split('=')[0], part] as const));
  const was = parts(before);
  const now = parts(after);
  return [...new Set([...was.keys(), ...now.keys()])].filter((name) => was.get(name) !== now.get(name)).join(', ');
}
