import type { Protocol, Step } from '../protocol/run.js';
import { checkClaimRequest, checkCompletions, checkNewCommand } from './checks.js';
import { OutcomeGroups } from './outcome-groups.js';
import type { ClaimRequest, CommandQueueStore, CommandSuccess } from './ports.js';
import type { ClaimedCommandRow, CommandQueueDialect, QueueWakeUps } from './queue-dialect.js';
import type { ClaimedCommand, CommandProblem, NewQueuedCommand, QueuedCommand } from './records.js';
import {
  claimedCommandFromRow,
  inClaimOrder,
  newCommandRow,
  type QueuedCommandRow,
  queuedCommandFromRow,
  resultJson,
} from './rows.js';
import { type SettledElsewhere, SettledListeners } from './settled.js';

/** What {@link enqueueIn} did: the command as stored, and whether this call stored it (false: its id was taken). */
export interface Enqueued {
  /** The command as the queue holds it. */
  readonly command: QueuedCommand;
  /** True when this call stored it; false when the id was already in the queue. */
  readonly inserted: boolean;
}

/**
 * Stores a new command as `queued` inside the transaction `tx`, which another store of the same database handle
 * may have opened: the command exists if, and only if, `tx` commits. A command whose id is already in the queue is
 * not stored again, and the stored one is given back. A malformed command fails with INVALID_ARGUMENT before any
 * statement runs. Waking the workers is the caller's part, once `tx` has committed.
 *
 * @example
 * const { command, inserted } = runSync(enqueueIn(dialect, db, newCommand));
 */
export function* enqueueIn<Tx>(
  dialect: CommandQueueDialect<Tx>,
  tx: Tx,
  command: NewQueuedCommand,
): Protocol<Enqueued> {
  checkNewCommand(command);
  const row = newCommandRow(command);
  if (row.key !== null) yield dialect.lockKey(tx, row.key);
  const inserted: boolean = yield dialect.insert(tx, row);
  const stored = yield dialect.find(tx, command.id);
  return { command: queuedCommandFromRow(stored), inserted };
}

// An enqueue in the dialect's one statement, committed on its own.
function* enqueueAlone<Tx>(
  dialect: CommandQueueDialect<Tx>,
  enqueue: NonNullable<CommandQueueDialect<Tx>['enqueue']>,
  tx: Tx,
  command: NewQueuedCommand,
): Protocol<Enqueued & { readonly told: boolean }> {
  checkNewCommand(command);
  const stored: { inserted: boolean; row: QueuedCommandRow | undefined; told?: boolean } = yield enqueue(
    tx,
    newCommandRow(command),
  );
  const row: QueuedCommandRow = stored.row ?? (yield dialect.find(tx, command.id));
  return { command: queuedCommandFromRow(row), inserted: stored.inserted, told: stored.told === true };
}

/**
 * Claims due commands on the handle `tx`, in claim order; see {@link CommandQueueStore}. A malformed request fails
 * with INVALID_ARGUMENT before any statement runs.
 *
 * @example
 * const claimed = await runAsync(claimCommands(dialect, pool, { limit: 10, leaseMs: 30_000, now: Date.now() }));
 */
export function* claimCommands<Tx>(
  dialect: CommandQueueDialect<Tx>,
  tx: Tx,
  request: ClaimRequest,
): Protocol<readonly ClaimedCommand[]> {
  checkClaimRequest(request);
  const { limit, leaseMs, now } = request;
  const rows: readonly ClaimedCommandRow[] = yield dialect.claim(tx, { limit, now, until: now + leaseMs });
  return claimedInOrder(rows);
}

function claimedInOrder(rows: readonly ClaimedCommandRow[]): readonly ClaimedCommand[] {
  const ordered = inClaimOrder(
    rows.map((row) => ({ row, seq: Number(row.seq), priority: Number(row.priority), runAt: Number(row.run_at) })),
  );
  return ordered.map(({ row }) => claimedCommandFromRow(row));
}

function* statement<T>(step: Step<T>): Protocol<T> {
  return yield step;
}

/**
 * The command queue on a SQL database, written once: its table through `dialect`, its workers woken through
 * `wakeUps` after each change that may make a command claimable (an enqueue, a retry, a release, a cancel that
 * unblocks a key, a replay). The SQLite and PostgreSQL queues are ones. The outcomes of claimed commands
 * (`complete`, `fail`, `release`) that come close together (in one turn of the event loop, or while a group commits)
 * commit in one transaction: each call still resolves only once its outcome is committed.
 *
 * @example
 * class SqliteCommandQueue extends DialectCommandQueue<SqliteConnection> {}
 */
export class DialectCommandQueue<Tx> implements CommandQueueStore {
  readonly #dialect: CommandQueueDialect<Tx>;
  readonly #wakeUps: QueueWakeUps;
  readonly #settled: SettledListeners;
  readonly #outcomes: OutcomeGroups<Tx>;
  // The dialect's one-statement enqueue, where it has one.
  readonly #enqueueAlone: CommandQueueDialect<Tx>['enqueue'];
  /** Present where the dialect completes and claims in one statement; see {@link CommandQueueStore}. */
  readonly completeAndClaim?: NonNullable<CommandQueueStore['completeAndClaim']>;

  /**
   * The queue on the table `dialect` reaches, waking its workers through `wakeUps`; `settledElsewhere`, where
   * the database can carry it, tells other processes of each command made final here and hears of theirs.
   */
  constructor(dialect: CommandQueueDialect<Tx>, wakeUps: QueueWakeUps, settledElsewhere?: SettledElsewhere) {
    this.#dialect = dialect;
    this.#enqueueAlone = dialect.enqueue?.bind(dialect);
    this.#wakeUps = wakeUps;
    this.#settled = new SettledListeners(settledElsewhere);
    this.#outcomes = new OutcomeGroups(
      (body) => dialect.transaction(body),
      (body) => dialect.run(body),
    );
    const both = dialect.completeAndClaim?.bind(dialect);
    if (both !== undefined) {
      this.completeAndClaim = async (completions, request) => {
        checkCompletions(completions);
        checkClaimRequest(request);
        const { limit, leaseMs, now } = request;
        const rows = completions.map(({ id, lease, success }) => ({
          id,
          lease,
          result: resultJson(success.result),
          position: success.position ?? null,
        }));
        const done = await dialect.run((tx) => statement(both(tx, rows, { limit, now, until: now + leaseMs })));
        const changed = new Set(done.completed);
        return {
          completed: completions.map(({ id }) => this.#settle(id, changed.has(id), done.told)),
          claimed: claimedInOrder(done.claimed),
        };
      };
    }
  }

  async enqueue(command: NewQueuedCommand): Promise<QueuedCommand> {
    const dialect = this.#dialect;
    const alone = this.#enqueueAlone;
    const enqueued: Enqueued & { readonly told?: boolean } =
      alone === undefined
        ? await dialect.transaction((tx) => enqueueIn(dialect, tx, command))
        : await dialect.run((tx) => enqueueAlone(dialect, alone, tx, command));
    if (enqueued.inserted) this.#wakeUps.wake(enqueued.told === true);
    return enqueued.command;
  }

  async claim(request: ClaimRequest): Promise<readonly ClaimedCommand[]> {
    return this.#dialect.run((tx) => claimCommands(this.#dialect, tx, request));
  }

  async renew(id: string, lease: string, until: number): Promise<boolean> {
    return this.#run((tx) => this.#dialect.renew(tx, { id, lease }, until), false);
  }

  async complete(id: string, lease: string, success: CommandSuccess, now: number): Promise<boolean> {
    const outcome = { result: resultJson(success.result), position: success.position ?? null, now };
    return this.#settle(id, await this.#outcome((tx) => this.#dialect.complete(tx, { id, lease }, outcome), false));
  }

  async fail(
    id: string,
    lease: string,
    problem: CommandProblem,
    retryAt: number | undefined,
    now: number,
  ): Promise<boolean> {
    const failure = {
      status: retryAt === undefined ? ('dead' as const) : ('failed' as const),
      problem: JSON.stringify({ code: problem.code, message: problem.message }),
      retryAt: retryAt ?? null,
      now,
    };
    const failed = await this.#outcome((tx) => this.#dialect.fail(tx, { id, lease }, failure), retryAt !== undefined);
    return retryAt === undefined ? this.#settle(id, failed) : failed;
  }

  async release(id: string, lease: string, now: number): Promise<boolean> {
    return this.#outcome((tx) => this.#dialect.release(tx, { id, lease }, now), true);
  }

  async cancel(id: string, now: number): Promise<boolean> {
    return this.#settle(id, await this.#run((tx) => this.#dialect.cancel(tx, id, now), true));
  }

  async get(id: string): Promise<QueuedCommand | undefined> {
    const row = await this.#dialect.run((tx) => statement(this.#dialect.find(tx, id)));
    return row === undefined ? undefined : queuedCommandFromRow(row);
  }

  async dead(limit?: number): Promise<readonly QueuedCommand[]> {
    const rows = await this.#dialect.run((tx) => statement(this.#dialect.dead(tx, limit)));
    return rows.map(queuedCommandFromRow);
  }

  async replay(id: string, now: number): Promise<boolean> {
    return this.#run((tx) => this.#dialect.replay(tx, id, now), true);
  }

  async discard(id: string): Promise<boolean> {
    return this.#run((tx) => this.#dialect.discard(tx, id), false);
  }

  subscribe(listener: () => void): () => void {
    return this.#wakeUps.subscribe(listener);
  }

  onSettled(listener: (id: string | undefined) => void): () => void {
    return this.#settled.subscribe(listener);
  }

  // `told`: the other processes were told of it with the change itself.
  #settle(id: string, changed: boolean, told = false): boolean {
    if (changed) this.#settled.settled(id, told);
    return changed;
  }

  // One statement; when it changed a command and the change may make one claimable, the workers wake.
  async #run(change: (tx: Tx) => Step<boolean>, wakes: boolean): Promise<boolean> {
    const changed = await this.#dialect.run((tx) => statement(change(tx)));
    if (changed && wakes) this.#wakeUps.wake();
    return changed;
  }

  // An outcome of a claimed command, committed with the others that come close to it.
  async #outcome(change: (tx: Tx) => Step<boolean>, wakes: boolean): Promise<boolean> {
    const changed = await this.#outcomes.add(change);
    if (changed && wakes) this.#wakeUps.wake();
    return changed;
  }
}
