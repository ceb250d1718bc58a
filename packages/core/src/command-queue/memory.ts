import { InvalidArgumentError } from '../errors/errors.js';
import { defersToCommit, type MemoryStore, type MemoryTx } from '../event-store/memory-store.js';
import { checkClaimRequest, checkNewCommand } from './checks.js';
import { LocalWakeUps } from './local-wake-ups.js';
import type { ClaimRequest, CommandSuccess, TransactionalCommandQueue } from './ports.js';
import type { ClaimedCommand, CommandProblem, NewQueuedCommand, QueuedCommand } from './records.js';
import { SettledListeners } from './settled.js';

interface Entry {
  command: QueuedCommand;
  readonly seq: number;
  lease: string | undefined;
  leaseUntil: number;
}

const LIVE = new Set(['queued', 'failed', 'running']);

/** Options of {@link MemoryCommandQueue}. */
export interface MemoryCommandQueueOptions {
  /**
   * The in-memory write store whose transactions `enqueueIn` joins (`memory()` passes its own); `enqueueIn` then
   * refuses another store's. Without it, `enqueueIn` joins the transaction of any `MemoryStore`.
   */
  readonly store?: MemoryStore;
}

/**
 * The command queue in memory, for tests and single-process apps on `memory()`: it forgets every command when the
 * process ends. `memory().commands` is one. `enqueueIn(tx, command)` stores a command inside a commit of the
 * in-memory write store: the command is in the queue once that commit has succeeded, and never when it fails.
 *
 * @example
 * const queue = new MemoryCommandQueue();
 * const worker = new CommandWorker({ store: queue, mediator });
 */
export class MemoryCommandQueue implements TransactionalCommandQueue<MemoryTx> {
  readonly #entries = new Map<string, Entry>();
  readonly #wakeUps = new LocalWakeUps();
  readonly #settled = new SettledListeners();
  // The commands each open commit has staged, so that one id enqueued twice in it is stored once.
  readonly #staged = new WeakMap<MemoryTx, Map<string, QueuedCommand>>();
  readonly #store: MemoryStore | undefined;
  #seq = 0;

  constructor(options: MemoryCommandQueueOptions = {}) {
    this.#store = options.store;
  }

  async enqueue(command: NewQueuedCommand): Promise<QueuedCommand> {
    checkNewCommand(command);
    const existing = this.#entries.get(command.id);
    if (existing !== undefined) return existing.command;
    const stored = this.#insert(queuedOf(command));
    this.#wakeUps.wake();
    return stored;
  }

  enqueueIn(tx: MemoryTx, command: NewQueuedCommand): QueuedCommand {
    checkNewCommand(command);
    if (!defersToCommit(tx) || !('store' in tx)) {
      throw new InvalidArgumentError('MemoryCommandQueue.enqueueIn: tx must be a transaction of a MemoryStore commit');
    }
    if (this.#store !== undefined && tx.store !== this.#store) {
      throw new InvalidArgumentError(
        "MemoryCommandQueue.enqueueIn: tx is a commit of another MemoryStore, not of this queue's database",
      );
    }
    const existing = this.#entries.get(command.id)?.command ?? this.#staged.get(tx)?.get(command.id);
    if (existing !== undefined) return existing;
    const staged = queuedOf(command);
    const inTx = this.#staged.get(tx) ?? new Map<string, QueuedCommand>();
    this.#staged.set(tx, inTx.set(command.id, staged));
    tx.onCommit(() => {
      // An enqueue of the same id between this call and the commit came first: it is the one kept, as a SQL
      // queue keeps the row inserted first.
      if (this.#entries.has(command.id)) return;
      this.#insert(staged);
      this.#wakeUps.wake();
    });
    return staged;
  }

  async claim(request: ClaimRequest): Promise<readonly ClaimedCommand[]> {
    checkClaimRequest(request);
    const { limit, leaseMs, now } = request;
    const keysSeen = new Set<string>();
    const due: Entry[] = [];
    for (const entry of this.#entries.values()) {
      const { command } = entry;
      if (!LIVE.has(command.status)) continue;
      const first = command.key === undefined || !keysSeen.has(command.key);
      if (command.key !== undefined) keysSeen.add(command.key);
      if (!first) continue;
      const claimable = command.status === 'running' ? entry.leaseUntil <= now : command.runAt <= now;
      if (claimable) due.push(entry);
    }
    due.sort((a, b) => b.command.priority - a.command.priority || a.command.runAt - b.command.runAt || a.seq - b.seq);
    return due.slice(0, limit).map((entry) => {
      const lease = crypto.randomUUID();
      entry.lease = lease;
      entry.leaseUntil = now + leaseMs;
      entry.command = { ...entry.command, status: 'running', attempts: entry.command.attempts + 1, updatedAt: now };
      return { ...entry.command, status: 'running', lease, leaseUntil: entry.leaseUntil };
    });
  }

  async renew(id: string, lease: string, until: number): Promise<boolean> {
    const entry = this.#held(id, lease);
    if (entry === undefined) return false;
    entry.leaseUntil = until;
    return true;
  }

  async complete(id: string, lease: string, success: CommandSuccess, now: number): Promise<boolean> {
    const result = structuredClone(success.result);
    const settled = this.#settle(id, lease, {
      status: 'succeeded',
      result,
      position: success.position,
      updatedAt: now,
    });
    if (settled) this.#settled.settled(id);
    return settled;
  }

  async fail(
    id: string,
    lease: string,
    problem: CommandProblem,
    retryAt: number | undefined,
    now: number,
  ): Promise<boolean> {
    const problemCopy = { code: problem.code, message: problem.message };
    const settled = this.#settle(
      id,
      lease,
      retryAt === undefined
        ? { status: 'dead', problem: problemCopy, updatedAt: now }
        : { status: 'failed', problem: problemCopy, runAt: retryAt, updatedAt: now },
    );
    if (settled && retryAt !== undefined) this.#wakeUps.wake();
    if (settled && retryAt === undefined) this.#settled.settled(id);
    return settled;
  }

  async release(id: string, lease: string, now: number): Promise<boolean> {
    const entry = this.#held(id, lease);
    if (entry === undefined) return false;
    const { command } = entry;
    this.#settle(id, lease, {
      status: command.problem === undefined ? 'queued' : 'failed',
      attempts: command.attempts - 1,
      updatedAt: now,
    });
    this.#wakeUps.wake();
    return true;
  }

  async cancel(id: string, now: number): Promise<boolean> {
    const entry = this.#entries.get(id);
    if (entry === undefined || (entry.command.status !== 'queued' && entry.command.status !== 'failed')) return false;
    entry.command = { ...entry.command, status: 'cancelled', updatedAt: now };
    this.#wakeUps.wake();
    this.#settled.settled(id);
    return true;
  }

  async get(id: string): Promise<QueuedCommand | undefined> {
    return this.#entries.get(id)?.command;
  }

  async dead(limit?: number): Promise<readonly QueuedCommand[]> {
    const dead = [...this.#entries.values()].filter((e) => e.command.status === 'dead').map((e) => e.command);
    return limit === undefined ? dead : dead.slice(0, limit);
  }

  async replay(id: string, now: number): Promise<boolean> {
    const entry = this.#entries.get(id);
    if (entry?.command.status !== 'dead') return false;
    entry.command = { ...entry.command, status: 'queued', attempts: 0, runAt: now, problem: undefined, updatedAt: now };
    this.#wakeUps.wake();
    return true;
  }

  async discard(id: string): Promise<boolean> {
    if (this.#entries.get(id)?.command.status !== 'dead') return false;
    this.#entries.delete(id);
    return true;
  }

  subscribe(listener: () => void): () => void {
    return this.#wakeUps.subscribe(listener);
  }

  onSettled(listener: (id: string | undefined) => void): () => void {
    return this.#settled.subscribe(listener);
  }

  #insert(command: QueuedCommand): QueuedCommand {
    this.#entries.set(command.id, { command, seq: ++this.#seq, lease: undefined, leaseUntil: 0 });
    return command;
  }

  #held(id: string, lease: string): Entry | undefined {
    const entry = this.#entries.get(id);
    return entry?.command.status === 'running' && entry.lease === lease ? entry : undefined;
  }

  #settle(id: string, lease: string, change: Partial<QueuedCommand>): boolean {
    const entry = this.#held(id, lease);
    if (entry === undefined) return false;
    entry.command = { ...entry.command, ...change };
    entry.lease = undefined;
    entry.leaseUntil = 0;
    return true;
  }
}

function queuedOf(command: NewQueuedCommand): QueuedCommand {
  return {
    ...structuredClone(command),
    status: 'queued',
    attempts: 0,
    result: undefined,
    position: undefined,
    problem: undefined,
    updatedAt: command.enqueuedAt,
  };
}
