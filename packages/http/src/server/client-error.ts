import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpProblem, problemFrom } from '../problems/problem.js';

/** How long a socket that was answered with an error may stay open for the client to read the answer. */
const LINGER_MS = 2_000;
const handled = new WeakSet<Socket>();

/**
 * Answers a request Node's parser refused before any route saw it: headers too large (431), a request that
 * did not arrive within `headersTimeout` or `requestTimeout` (408), or anything else malformed (400), as a
 * problem document with `Connection: close`. Pass it to Fastify as `clientErrorHandler` (`serverOptions()`
 * does). Fastify's own handler sends no `Connection: close` and resets the socket at once, so a keep-alive
 * client reuses a connection that is already gone and its next request fails.
 *
 * @example
 * const app = Fastify({ clientErrorHandler });
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset peer cannot be answered, and a socket already handled is on its way out (the parser reports every
  // chunk that arrives after its first error).
  if (error.code === 'ECONNRESET' || socket.destroyed || handled.has(socket)) return;
  handled.add(socket);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // A request that arrived whole before the bad bytes is still being answered (pipelining): it gets its answer,
  // marked `Connection: close`, and Node closes the connection after it; the bytes that followed are dropped.
  // A request that is itself the problem (it timed out, or its body is malformed) is answered here instead.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (
    inFlight !== undefined &&
    inFlight !== null &&
    !inFlight.writableEnded &&
    inFlight.req?.complete === true &&
    error.code !== 'ERR_HTTP_REQUEST_TIMEOUT'
  ) {
    if (!inFlight.headersSent) inFlight.shouldKeepAlive = false;
    else inFlight.once('finish', () => socket.destroySoon());
    return;
  }
  // Bytes of an answer already under way cannot be followed by another answer: the connection just ends.
  if (inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const problem = problemFrom(problemOf(error), '', undefined);
  const { instance: _none, ...body } = problem.body;
  const json = JSON.stringify(body);
  // An answer to HEAD has no body: a client reads none, and takes any bytes after the headers as garbage.
  const head = isHead(error);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.body.title}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${head ? '' : json}`,
  );
  // The rest of what the client sent stays readable, so the kernel closes with FIN rather than a reset that
  // would discard the answer before the client reads it; a client that never closes its side is cut off.
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

// The parser hands over the bytes it refused; a request that fits in one read starts with its method.
function isHead(error: Error & { rawPacket?: unknown }): boolean {
  return Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
}

function problemOf(error: Error & { code?: string }): HttpProblem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpProblem('HEADERS_TOO_LARGE', 'The request headers are larger than this server accepts');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpProblem('REQUEST_TIMEOUT', 'The request did not arrive in time');
    default:
      return new HttpProblem('MALFORMED_REQUEST', 'The request is not valid HTTP/1.1');
  }
}
