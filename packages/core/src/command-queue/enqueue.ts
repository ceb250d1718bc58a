import { InvalidArgumentError } from '../errors/errors.js';
import type { Mediator } from '../mediator/mediator.js';
import type { CommandDefinition } from '../messages/define.js';
import type { EnvelopeOptions } from '../messages/envelope.js';
import type { CommandQueueStore } from './ports.js';
import type { QueuedCommand } from './records.js';

/**
 * Options of `enqueue`: the envelope fields `send` takes, and when, in what order and how urgently the command
 * runs. The command's id is its `messageId` (a new UUID unless given): enqueueing the same id again stores nothing
 * and returns the command already queued.
 *
 * @example
 * await app.enqueue(SendReminder, { bookingId }, { runAt: checkIn - 86_400_000, key: bookingId, priority: 5 });
 */
export interface EnqueueOptions extends EnvelopeOptions {
  /** Not before this time: a `Date`, or ms since the epoch. Default: now. */
  readonly runAt?: Date | number;
  /** Commands with the same key run one after another, in the order they were enqueued. Default: none. */
  readonly key?: string;
  /** Among the commands due, a higher priority runs first. An integer; default: 0. */
  readonly priority?: number;
}

/**
 * Validates and authorizes a command at once (its schema, then its middlewares, as `send` does), and stores it in
 * the queue to be run later by a worker. Resolves to the stored command, `queued`.
 */
export function enqueueCommand(
  mediator: Pick<Mediator, 'admit'>,
  store: CommandQueueStore,
  command: CommandDefinition,
  data: unknown,
  options: EnqueueOptions = {},
): Promise<QueuedCommand> {
  const type = String(command?.type);
  if (typeof options !== 'object' || options === null) {
    return Promise.reject(new InvalidArgumentError(`enqueue('${type}'): options must be an object`));
  }
  const { runAt, key, priority = 0, ...envelopeOptions } = options;
  const problem = schedulingProblem(runAt, key, priority);
  if (problem !== undefined) return Promise.reject(new InvalidArgumentError(`enqueue('${type}'): ${problem}`));
  return mediator.admit(command, data as never, envelopeOptions, (ctx) => {
    const { envelope } = ctx;
    const enqueuedAt = Date.now();
    return store.enqueue({
      id: envelope.id,
      type: ctx.type,
      data,
      envelope: {
        correlationId: envelope.correlationId,
        causationId: envelope.causationId,
        principal: envelope.principal,
        tenant: envelope.tenant,
        metadata: envelope.metadata,
        idempotencyKey: envelope.idempotencyKey,
      },
      key,
      priority,
      runAt: runAt === undefined ? enqueuedAt : Number(runAt),
      enqueuedAt,
    });
  });
}

function schedulingProblem(runAt: unknown, key: unknown, priority: unknown): string | undefined {
  if (runAt !== undefined) {
    const at = runAt instanceof Date ? runAt.getTime() : runAt;
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) {
      return 'options.runAt must be a Date or a time in ms since the epoch';
    }
  }
  if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
    return 'options.key must be a non-empty string';
  }
  if (typeof priority !== 'number' || !Number.isSafeInteger(priority)) {
    return `options.priority must be an integer; got ${JSON.stringify(priority)}`;
  }
  return undefined;
}
