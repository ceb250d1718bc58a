/** The lines of a UTF-8 byte stream, without their line endings (`\n`, `\r\n` or `\r`). */
export async function* linesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  // TextDecoder in streaming mode rather than pipeThrough(TextDecoderStream): the same in browsers and Node,
  // and typed alike by the DOM and Node libraries.
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // A chunk that ends in \r may be followed by one that starts with the \n of the same \r\n.
  let skipLineFeed = false;
  try {
    for (;;) {
      const { done, value: bytes } = await reader.read();
      const value = done ? decoder.decode() : decoder.decode(bytes, { stream: true });
      buffer += skipLineFeed && value.startsWith('\n') ? value.slice(1) : value;
      if (value.length > 0) skipLineFeed = false;
      for (let match = /\r\n|\r|\n/.exec(buffer); match !== null; match = /\r\n|\r|\n/.exec(buffer)) {
        yield buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        skipLineFeed = match[0] === '\r' && buffer.length === 0;
      }
      if (done) break;
    }
    if (buffer.length > 0) yield buffer;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** One server-sent event: its type (`message` unless named) and its data lines joined. */
export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

/** Parses a `text/event-stream` body into events, as the HTML living standard describes; comments are skipped. */
export async function* eventsOf(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  let event = '';
  let data: string[] = [];
  for await (const line of linesOf(body)) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
}
