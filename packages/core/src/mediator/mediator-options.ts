import type { ReadModelProgress } from '../consistency/read-model-progress.js';
import { InvalidArgumentError } from '../errors/errors.js';
import { consoleLogger, type Logger } from '../runtime/logger.js';
import { assertStrategy } from './argument-checks.js';
import type { AnyMiddlewareContext, DispatchOptions, EventHandlerFailure } from './context.js';
import type { PublishStrategy } from './event-delivery.js';

/** Options of `publish`. */
export interface PublishOptions extends DispatchOptions {
  /** Overrides the mediator's `publishStrategy` for this event. */
  readonly strategy?: PublishStrategy;
}

/**
 * Runs each dispatch inside a store that code far from the handler can read. Opt-in: see
 * `@twofold/core/async-context`; passing the context explicitly is cheaper and the default.
 */
export interface ContextStorage {
  /** Calls `fn` with `ctx` as the dispatch in flight for everything `fn` runs, synchronously or not; returns its result. */
  run<R>(ctx: AnyMiddlewareContext, fn: () => R): R;
}

/** Options of {@link createMediator}. Every one has a safe default. */
export interface MediatorOptions {
  /** Where the mediator reports event handler failures and misuse. Default: JSON lines on stderr, warn and up. */
  readonly logger?: Logger;
  /** Default strategy of `publish`. Default: 'sequential', in registration order. */
  readonly publishStrategy?: PublishStrategy;
  /** Called once per failed event handler. Default: logs the failure at error level. */
  readonly onEventHandlerError?: (failure: EventHandlerFailure) => void;
  /** Also validate handler results against the result schemas. Default: false (results are trusted). */
  readonly validateResults?: boolean;
  /** Makes the current dispatch context readable through AsyncLocalStorage. Default: none. */
  readonly contextStorage?: ContextStorage;
  /** How long `ask(..., { after })` waits for read models to catch up, in ms (a shorter deadline wins). Default: 5000. */
  readonly consistencyTimeout?: number;
}

/** Options of `mediator.query()`. */
export interface QueryOptions {
  /**
   * The read models the handler reads. `ask(query, params, { after })` waits until each has passed `after`
   * before running the handler, so a caller reads its own writes.
   */
  readonly reads?: readonly ReadModelProgress[];
}

/** The mediator's options, checked, with their defaults filled in. */
export interface MediatorSettings {
  readonly logger: Logger;
  readonly publishStrategy: PublishStrategy;
  readonly onEventHandlerError: (failure: EventHandlerFailure) => void;
  readonly validateResults: boolean;
  readonly contextStorage: ContextStorage | undefined;
  readonly consistencyTimeout: number;
}

/** Checks the options of `createMediator` and fills in the defaults; throws INVALID_ARGUMENT naming a bad one. */
export function mediatorSettings(options: MediatorOptions): MediatorSettings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('createMediator: options must be an object');
  }
  const logger = options.logger ?? consoleLogger('warn');
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof logger[level] !== 'function') {
      throw new InvalidArgumentError(`createMediator: options.logger must have a ${level}() method (pino-compatible)`);
    }
  }
  const publishStrategy = options.publishStrategy ?? 'sequential';
  assertStrategy(publishStrategy, 'createMediator: options.publishStrategy');
  const consistencyTimeout = options.consistencyTimeout ?? 5_000;
  if (!(consistencyTimeout >= 0)) {
    throw new InvalidArgumentError('createMediator: options.consistencyTimeout must be a number of milliseconds >= 0');
  }
  return {
    logger,
    publishStrategy,
    validateResults: options.validateResults ?? false,
    contextStorage: options.contextStorage,
    consistencyTimeout,
    onEventHandlerError:
      options.onEventHandlerError ??
      ((failure) =>
        logger.error(
          { err: failure.error, handler: failure.handler, type: failure.envelope.type, messageId: failure.envelope.id },
          `Event handler '${failure.handler}' failed on ${failure.envelope.type}`,
        )),
  };
}
