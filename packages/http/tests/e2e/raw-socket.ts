import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** A client connection spoken to byte by byte, so a test sees exactly what the server sends and when it closes. */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves once the server sent this many responses (counted by status line) or closed. */
  responses(count: number): Promise<string[]>;
  /** Resolves when the socket is fully closed: `reset` is true when it ended in an error (ECONNRESET, EPIPE). */
  readonly closed: Promise<{ readonly reset: boolean; readonly error?: string }>;
}

/** Opens a TCP connection to 127.0.0.1:port. */
export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect({ port, host: '127.0.0.1' });
  let text = '';
  let error: string | undefined;
  const waiters = new Set<() => void>();
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiters) wake();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code ?? e.message;
  });
  const closed = once(socket, 'close').then(() => {
    for (const wake of waiters) wake();
    return error === undefined ? { reset: false } : { reset: true, error };
  });
  await once(socket, 'connect');
  const statuses = () => text.split(/(?=HTTP\/1\.1 \d{3} )/).filter((part) => part.startsWith('HTTP/1.1 '));
  return {
    socket,
    received: () => text,
    closed,
    responses: (count) =>
      new Promise((resolve) => {
        const check = () => {
          if (statuses().length >= count || socket.destroyed) {
            waiters.delete(check);
            resolve(statuses());
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The status and the lower-cased headers of one raw response. */
export function parseResponse(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}
