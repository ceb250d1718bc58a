import { IdempotencyKeyReusedError, isTwofoldError } from '../errors/errors.js';
import type { Committed, IdempotencyRecord, UnitOfWork, WriteStore } from '../event-store/ports.js';
import { type CommandHandlerContext, DispatchContext } from '../mediator/context.js';
import type { EventDefinition } from '../messages/define.js';
import { KeyedQueue } from '../runtime/keyed-queue.js';
import type { Logger } from '../runtime/logger.js';
import { sleep } from '../runtime/sleep.js';
import { payloadFingerprint } from './fingerprint.js';

/** One try at a command: the unit of work it would commit, and the result it answers with once committed. */
export interface Attempt<R> {
  readonly unit: UnitOfWork;
  readonly result: R;
  /** True when the attempt decided on a cached state rather than one it loaded. */
  readonly cached?: boolean;
  /** Called once the unit is committed. */
  readonly committed?: (committed: Committed) => Promise<void> | void;
}

/** How one command ended: committed (what, then), or answered with the result stored under its idempotency key. */
interface CommittedOrReplayed<R> {
  readonly result: R;
  /** What was committed; undefined when a stored result was replayed. */
  readonly committed?: Committed;
}

/** Options of {@link CommitLoop}, checked by `writeModels()`. */
export interface CommitLoopOptions<Tx> {
  readonly store: WriteStore<Tx>;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly participants: NonNullable<UnitOfWork<Tx>['participants']>;
  /** Told after each commit of a command with an idempotency key, to prune old records now and then. */
  readonly pruner: { committed(logger: Logger): void };
}

/**
 * What every write model does around its decision: runs the commands on one aggregate one after another, answers
 * a repeated idempotency key with its stored result, commits the decision with its idempotency record and the
 * participants in one transaction, decides again on a concurrency conflict (at once for a cached state, after a
 * backoff otherwise), and publishes the committed events to the mediator's event bus.
 */
export class CommitLoop<Tx> {
  readonly #store: WriteStore<Tx>;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #participants: NonNullable<UnitOfWork<Tx>['participants']>;
  readonly #pruner: CommitLoopOptions<Tx>['pruner'];
  readonly #queue = new KeyedQueue();

  constructor(options: CommitLoopOptions<Tx>) {
    this.#store = options.store;
    this.#retries = options.retries;
    this.#retryDelayMs = options.retryDelayMs;
    this.#participants = options.participants;
    this.#pruner = options.pruner;
  }

  // Runs one command, after the commands before it on the same aggregate in this process: idempotent replay, then
  // attempt → commit, retried on conflict. Its events are published once the next command may run, so that an
  // event handler may send a command to the same aggregate.
  async run<R>(
    ctx: CommandHandlerContext,
    events: ReadonlyMap<string, EventDefinition>,
    aggregate: string,
    attempt: (fresh: boolean) => Promise<Attempt<R>>,
  ): Promise<R> {
    // Most commands carry no key: they skip the fingerprint and the await it costs.
    const key = ctx.envelope.idempotencyKey;
    const command = key === undefined ? undefined : await commandOf(ctx, key);
    const { result, committed } = await this.#queue.run(aggregate, (waited) => {
      // A command cancelled or past its deadline while it waited for its turn is not run at all.
      const signal = waited ? ctx.signal : undefined;
      if (signal?.aborted) return Promise.reject(signal.reason);
      return this.#decideAndCommit(ctx, command, attempt);
    });
    if (committed !== undefined) await publishCommitted(committed, ctx, events);
    return result;
  }

  async #decideAndCommit<R>(
    ctx: CommandHandlerContext,
    command: IdempotentCommand | undefined,
    attempt: (fresh: boolean) => Promise<Attempt<R>>,
  ): Promise<CommittedOrReplayed<R>> {
    let fresh = false;
    for (let tries = 0; ; tries++) {
      if (command !== undefined) {
        const previous = await this.#store.find(command.key);
        if (previous !== undefined) return replay(ctx, command, previous);
      }
      const { unit, result, cached, committed: done } = await attempt(fresh);
      try {
        const committed = await this.#store.commit({
          ...unit,
          ...(command === undefined
            ? {}
            : { idempotency: { ...command, result: result === undefined ? null : result } }),
          participants: [
            ...this.#participants,
            ...((unit.participants ?? []) as UnitOfWork<Tx>['participants'] & object),
          ],
        } as UnitOfWork<Tx>);
        if (committed.position !== undefined) ctx.advance(committed.position);
        if (command !== undefined) this.#pruner.committed(ctx.logger);
        await done?.(committed);
        return { result, committed };
      } catch (error) {
        if (!isTwofoldError(error, 'CONCURRENCY_CONFLICT')) throw error;
        // A cached state another process had moved on from: reload it and decide again, now.
        if (cached) {
          fresh = true;
          tries--;
          continue;
        }
        if (tries >= this.#retries) throw error;
        const delay = this.#retryDelayMs * 2 ** tries * (0.5 + Math.random());
        if (ctx.signal === undefined) await sleep(delay, new AbortController().signal);
        else await sleep(delay, ctx.signal);
      }
    }
  }
}

interface IdempotentCommand {
  readonly key: string;
  readonly commandType: string;
  readonly fingerprint: string;
}

// What the idempotency record of a command sent with a key says it was: its type and a hash of its validated
// payload.
async function commandOf(ctx: CommandHandlerContext, key: string): Promise<IdempotentCommand> {
  const { type, data } = ctx.envelope;
  return { key, commandType: type, fingerprint: await payloadFingerprint(data) };
}

// A repeat of the command that stored the record gets its stored result and position, never one made from the
// repeat; a different command under the same key is refused. A record stored before records named their command
// cannot tell the two apart, and is answered as a repeat, as it was when it was stored.
function replay<R>(
  ctx: CommandHandlerContext,
  command: IdempotentCommand,
  previous: IdempotencyRecord,
): CommittedOrReplayed<R> {
  if (previous.commandType !== undefined) {
    if (previous.commandType !== command.commandType || previous.fingerprint !== command.fingerprint) {
      throw new IdempotencyKeyReusedError(command.commandType, previous.commandType);
    }
  }
  if (previous.position !== undefined) ctx.advance(previous.position);
  if (ctx instanceof DispatchContext) ctx.replayed = true;
  return { result: previous.result as R };
}

// After the commit, the events go to the mediator's event bus too, for in-process handlers; projections and
// subscribers read them from the store. A failing event handler is reported by the bus and never fails the command.
// An event nobody in this process listens to is not published: that would only validate it once more.
async function publishCommitted(
  committed: Committed,
  ctx: CommandHandlerContext,
  definitions: ReadonlyMap<string, EventDefinition>,
): Promise<void> {
  for (const event of committed.events) {
    const definition = definitions.get(event.type);
    if (definition === undefined) continue;
    if (ctx instanceof DispatchContext && !ctx.listens(definition)) continue;
    await ctx.publish(definition, event.data as never);
  }
}
