import type { Principal } from '../messages/envelope.js';
import type { GlobalPosition } from '../positions/position.js';

/**
 * Where a queued command is. `queued`: waiting for its time (`runAt`) and a worker. `running`: a worker holds it.
 * `succeeded`: it ran, with its result and position. `failed`: an attempt failed and another is due at
 * `runAt`. `dead`: it failed for good (out of attempts, or with an error no retry can change). `cancelled`:
 * cancelled before it ran.
 *
 * @example
 * const final: readonly CommandStatus[] = ['succeeded', 'dead', 'cancelled'];
 */
export type CommandStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'dead' | 'cancelled';

/** Why an attempt failed: the error's code (`INTERNAL` for an error that is not Twofold's) and message. */
export interface CommandProblem {
  readonly code: string;
  readonly message: string;
}

/** The envelope fields a queued command keeps, so that the worker runs it as the caller sent it. */
export interface QueuedEnvelope {
  readonly correlationId: string;
  readonly causationId: string | undefined;
  readonly principal: Principal | undefined;
  readonly tenant: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly idempotencyKey: string | undefined;
}

/** A command as `enqueue` hands it to the store: validated and authorized, not yet run. */
export interface NewQueuedCommand {
  /** The command's message id, unique in the queue; a worker runs it under this id. */
  readonly id: string;
  readonly type: string;
  /** The payload as the caller gave it (JSON); the worker validates it again when it runs the command. */
  readonly data: unknown;
  readonly envelope: QueuedEnvelope;
  /** Commands with the same key run one after another, in the order they were enqueued. */
  readonly key: string | undefined;
  /** Higher runs first among the commands that are due. */
  readonly priority: number;
  /** Not before this time, in ms since the epoch. */
  readonly runAt: number;
  /** When it was enqueued, in ms since the epoch. */
  readonly enqueuedAt: number;
}

/**
 * A command in the queue with its status: what `enqueue` resolves to and what `status(id)` reads back.
 *
 * @example
 * const command = await app.commandStatus(id);
 * if (command?.status === 'succeeded') await app.ask(MyBookings, { guestId }, { after: command.position });
 */
export interface QueuedCommand extends NewQueuedCommand {
  readonly status: CommandStatus;
  /** Attempts started so far, the running one included. */
  readonly attempts: number;
  /** `succeeded`: what the command's handler returned. */
  readonly result: unknown;
  /** `succeeded`: the global position of the last event it committed (undefined when it wrote none). */
  readonly position: GlobalPosition | undefined;
  /** `failed` and `dead`: the last attempt's problem. */
  readonly problem: CommandProblem | undefined;
  /** When the status last changed, in ms since the epoch. */
  readonly updatedAt: number;
}

/** A command a worker has claimed: it alone may complete, fail or release it while `lease` holds. */
export interface ClaimedCommand extends QueuedCommand {
  readonly status: 'running';
  /** The claim's token: completing, failing, renewing or releasing the command needs it. */
  readonly lease: string;
  /** The lease ends then (ms since the epoch) unless renewed; another worker may then claim the command. */
  readonly leaseUntil: number;
}
