/**
 * The logging interface Twofold writes to. pino loggers satisfy it as they are; so does anything with these
 * four methods taking a bindings object and a message.
 *
 * @example
 * import pino from 'pino';
 * const mediator = createMediator({ logger: pino() });
 */
export interface Logger {
  /** Detail for debugging, such as a query answered from stale read models. */
  debug(bindings: object, message?: string): void;
  /** Something normal worth a line, such as a rebuilt projection taking over. */
  info(bindings: object, message?: string): void;
  /** Something failed and Twofold carried on: a snapshot not saved, a metrics sink that threw. */
  warn(bindings: object, message?: string): void;
  /** Something failed that someone should look at, such as an event handler or a projection that threw. */
  error(bindings: object, message?: string): void;
}

/** The log levels a {@link Logger} has, from the most verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * A logger that writes one JSON line per entry to stderr, for levels at or above `level`.
 * It is the default, at 'warn', so that errors are never silent when no logger is given.
 *
 * @example
 * const mediator = createMediator({ logger: consoleLogger('info') });
 */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const min = LEVELS.indexOf(level);
  const write = (at: LogLevel) =>
    LEVELS.indexOf(at) < min
      ? () => {}
      : (bindings: object, message?: string) => {
          console.error(JSON.stringify({ level: at, time: Date.now(), ...serialize(bindings), msg: message }));
        };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function serialize(bindings: object): object {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bindings)) {
    out[key] =
      value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}
