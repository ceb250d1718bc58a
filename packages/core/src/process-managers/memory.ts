import { checkNewCommand } from '../command-queue/checks.js';
import type { MemoryCommandQueue } from '../command-queue/memory.js';
import { type GlobalPosition, START } from '../positions/position.js';
import type { ProcessInstance } from './instance.js';
import type { DueTimer, ProcessCommit, ProcessStore } from './ports.js';

/**
 * Process managers' instances, timers and checkpoints in memory, enqueueing into the in-memory command queue of
 * the same `memory()` database: for tests and single-process apps; it forgets everything when the process ends.
 *
 * @example
 * const commands = new MemoryCommandQueue();
 * const processes = new MemoryProcessStore(commands);
 */
export class MemoryProcessStore implements ProcessStore {
  readonly #queue: MemoryCommandQueue;
  readonly #instances = new Map<string, ProcessInstance>();
  readonly #checkpoints = new Map<string, GlobalPosition>();
  // When each closed instance was closed, by `Date.now`, in the order they closed.
  readonly #closedAt = new Map<string, number>();
  // Each instance's failing timers: failures by timer name, while the timer stays due at the same time.
  readonly #timerFailures = new Map<string, Map<string, number>>();

  constructor(queue: MemoryCommandQueue) {
    this.#queue = queue;
  }

  async instance(manager: string, correlation: string): Promise<ProcessInstance | undefined> {
    const instance = this.#instances.get(key(manager, correlation));
    return instance === undefined ? undefined : structuredClone(instance);
  }

  async commit(commit: ProcessCommit): Promise<boolean> {
    const { manager, correlation, instance, commands, checkpoint } = commit;
    for (const command of commands) checkNewCommand(command);
    const stored = this.#instances.get(key(manager, correlation));
    if ((stored?.version ?? 0) !== instance.version - 1) return false;
    if (checkpoint !== undefined && (this.#checkpoints.get(manager) ?? START) !== checkpoint.from) return false;
    const copy = structuredClone(instance);
    this.#instances.set(key(manager, correlation), copy);
    this.#keepFailures(key(manager, correlation), stored, copy);
    if (copy.closed) this.#closedAt.set(key(manager, correlation), Date.now());
    if (checkpoint !== undefined) this.#checkpoints.set(manager, checkpoint.to);
    // Every check is done: the memory queue stores each command before enqueue returns, so nothing can come
    // between the instance and its commands.
    for (const command of commands) void this.#queue.enqueue(command);
    return true;
  }

  async checkpoint(manager: string): Promise<GlobalPosition> {
    return this.#checkpoints.get(manager) ?? START;
  }

  async moveCheckpoint(manager: string, from: GlobalPosition, to: GlobalPosition): Promise<boolean> {
    if ((this.#checkpoints.get(manager) ?? START) !== from) return false;
    this.#checkpoints.set(manager, to);
    return true;
  }

  async dueTimers(manager: string, now: number, limit: number): Promise<readonly DueTimer[]> {
    return this.#timers(manager)
      .filter((timer) => timer.at <= now)
      .slice(0, limit);
  }

  async timerFailed(manager: string, { correlation, name, at }: DueTimer): Promise<number> {
    const k = key(manager, correlation);
    if (this.#instances.get(k)?.timers[name] !== at) return 0;
    const failures = this.#timerFailures.get(k) ?? new Map<string, number>();
    const count = (failures.get(name) ?? 0) + 1;
    this.#timerFailures.set(k, failures.set(name, count));
    return count;
  }

  async nextTimer(manager: string): Promise<number | undefined> {
    return this.#timers(manager)[0]?.at;
  }

  async pruneClosed(manager: string, closedBefore: number, limit: number): Promise<number> {
    const prefix = key(manager, '');
    let pruned = 0;
    for (const [k, at] of this.#closedAt) {
      if (pruned >= limit) break;
      if (!k.startsWith(prefix) || at > closedBefore) continue;
      this.#closedAt.delete(k);
      this.#instances.delete(k);
      this.#timerFailures.delete(k);
      pruned++;
    }
    return pruned;
  }

  // A timer's failures go with it when a commit removes or moves it.
  #keepFailures(k: string, before: ProcessInstance | undefined, after: ProcessInstance): void {
    const failures = this.#timerFailures.get(k);
    if (failures === undefined) return;
    for (const name of failures.keys()) {
      if (after.timers[name] !== before?.timers[name]) failures.delete(name);
    }
    if (failures.size === 0) this.#timerFailures.delete(k);
  }

  #timers(manager: string): DueTimer[] {
    const prefix = key(manager, '');
    const timers: DueTimer[] = [];
    for (const [k, instance] of this.#instances) {
      if (!k.startsWith(prefix)) continue;
      const correlation = k.slice(prefix.length);
      for (const [name, at] of Object.entries(instance.timers)) timers.push({ correlation, name, at });
    }
    return timers.sort((a, b) => a.at - b.at);
  }
}

function key(manager: string, correlation: string): string {
  return `${manager}\u0000${correlation}`;
}
