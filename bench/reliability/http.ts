// A small HTTP/1.1 client on node:http: keep-alive sockets as a browser keeps them, any header bytes a client
// may legally send (fetch refuses some), and transport failures told apart from answers.
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A request: `url` is absolute. */
export interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer | undefined;
}

/** An answer from the server. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The request never got an answer: refused, reset, or timed out. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/**
 * Keep-alive connections, at most `sockets` at a time. An idle one is closed before the server would close it: a
 * second before the `Keep-Alive: timeout=` the server announced, and after 4 s when it announced none.
 */
export function keepAlive(sockets: number): Agent {
  // Node's agent heeds the server's announced timeout only when it has a timeout of its own. Without one, an idle
  // socket stays in the pool until the server closes it, and a request sent on it at that moment is reset.
  return new Agent({ keepAlive: true, maxSockets: sockets, timeout: 4_000 });
}

/**
 * Sends one request and reads the whole answer; rejects with a {@link TransportError} when there is none.
 *
 * @example
 * const answer = await send(agent, { method: 'GET', url: `${api}/openapi.json` });
 */
export function send(agent: Agent, sent: Sent, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...sent.headers };
    if (sent.body !== undefined) headers['content-length'] = String(Buffer.byteLength(sent.body));
    const req = httpRequest(sent.url, { method: sent.method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (error) => reject(new TransportError(`${sent.method} ${sent.url}: ${error.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (error) => reject(new TransportError(`${sent.method} ${sent.url}: ${error.message}`)));
    req.end(sent.body);
  });
}

/** The answer's body as JSON. */
export function json<T>(answer: Answer): T {
  return JSON.parse(answer.body) as T;
}
