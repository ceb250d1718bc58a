import { expect } from 'vitest';
import type { CommandDefinition, EventDefinition } from '../messages/define.js';
import { applyReaction, newInstance, type ProcessInstance, type SentCommand } from '../process-managers/instance.js';
import type { ProcessManager } from '../process-managers/process-manager.js';
import type { MessageOf } from '../write-model/models.js';

/** A step of a process manager spec: an event it handles, or time passing (`{ after: ms }`) so that timers fire. */
export type ProcessSpecStep<E extends EventDefinition> = MessageOf<E> | { readonly after: number };

/** What the instance should be after the `when` step of a process manager spec; see {@link ProcessThen}. */
export interface ProcessExpectation<S, T extends string> {
  /** The instance's state after it, when given. */
  readonly state?: S;
  /** The instance's timers set after it (name → due time), when given. */
  readonly timers?: { readonly [K in T]?: number };
  /** Whether the instance is closed after it, when given. */
  readonly completed?: boolean;
  /**
   * The correlation of the instance `state`, `timers` and `completed` are checked on. Default: the `when` event's,
   * or the one instance whose timers fired in the `when` step, or else the last instance the given steps touched.
   */
  readonly instance?: string;
}

/** The outcome check of a process manager spec. */
export interface ProcessThen<S, C extends CommandDefinition, T extends string> {
  /** Checks the commands the `when` step sent, in order, and the instance's state, timers and end where given. */
  thenSends(commands: readonly MessageOf<C>[], expected?: ProcessExpectation<S, T>): void;
}

/** What `given(processManager, …)` returns: the past is set; `when` names the step to check. */
export interface ProcessWhen<S, E extends EventDefinition, C extends CommandDefinition, T extends string> {
  /** Runs one more step after the given ones: an event, or `{ after: ms }` for time passing. */
  when(step: ProcessSpecStep<E>): ProcessThen<S, C, T>;
}

/** The kit's process manager: its instances in memory, on a clock that moves only when a step says so. */
class SpecRun {
  readonly #manager: ProcessManager;
  readonly #instances = new Map<string, ProcessInstance>();
  #now: number;
  sent: SentCommand[] = [];
  touched: string[] = [];

  constructor(manager: ProcessManager, now: number) {
    this.#manager = manager;
    this.#now = now;
  }

  instance(correlation: string): ProcessInstance | undefined {
    return this.#instances.get(correlation);
  }

  run(step: ProcessSpecStep<EventDefinition>): void {
    this.sent = [];
    this.touched = [];
    if ('after' in step) {
      this.#pass(step.after);
      return;
    }
    const correlation = this.#manager.correlate(step);
    this.touched.push(correlation);
    const instance = this.#instances.get(correlation) ?? newInstance(this.#manager);
    if (instance.closed) return;
    const ctx = { correlation, now: this.#now };
    this.#apply(correlation, this.#manager.react(instance.state, step, ctx), `on ${step.type}`, instance);
  }

  // Fires the timers falling due within `ms`, earliest first, each at its own due time.
  #pass(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: { correlation: string; name: string; at: number } | undefined;
      for (const [correlation, instance] of this.#instances) {
        for (const [name, at] of Object.entries(instance.timers)) {
          if (at <= end && (next === undefined || at < next.at)) next = { correlation, name, at };
        }
      }
      if (next === undefined) break;
      const { correlation, name, at } = next;
      this.#now = Math.max(this.#now, at);
      const instance = this.#instances.get(correlation)!;
      if (!this.touched.includes(correlation)) this.touched.push(correlation);
      const reaction = this.#manager.fire(instance.state, name, { correlation, now: this.#now });
      this.#apply(correlation, reaction, `on timer ${name}`, instance, name);
    }
    this.#now = end;
  }

  #apply(correlation: string, reaction: unknown, on: string, instance: ProcessInstance, fired?: string): void {
    const where = `process manager '${this.#manager.name}' ${on}`;
    const step = applyReaction(this.#manager, instance, reaction as never, where, fired);
    if (step.changed) this.#instances.set(correlation, step.instance);
    this.sent.push(...step.send);
  }
}

/** The process manager part of `given`: see its examples. */
export function givenProcess<S, E extends EventDefinition, C extends CommandDefinition, T extends string>(
  manager: ProcessManager<S, E, C, T>,
  history: readonly ProcessSpecStep<E>[] = [],
  options: { readonly now?: number } = {},
): ProcessWhen<S, E, C, T> {
  return {
    when(step) {
      return {
        thenSends(commands, expected = {}) {
          const run = new SpecRun(manager as ProcessManager, options.now ?? 0);
          let last: string | undefined;
          for (const past of history) {
            run.run(past);
            last = run.touched.at(-1) ?? last;
          }
          run.run(step);
          expect(run.sent, 'commands sent').toEqual(commands);
          const checksInstance = ['state', 'timers', 'completed'].some((key) => key in expected);
          if (checksInstance && expected.instance === undefined && run.touched.length > 1) {
            throw new Error(`timers of ${run.touched.length} instances fired; name the one to check with 'instance'`);
          }
          const correlation = expected.instance ?? run.touched[0] ?? last;
          const instance = correlation === undefined ? undefined : run.instance(correlation);
          if (expected.state !== undefined) expect(instance?.state, 'state').toEqual(expected.state);
          if (expected.timers !== undefined) expect(instance?.timers ?? {}, 'timers').toEqual(expected.timers);
          if (expected.completed !== undefined) expect(instance?.closed ?? false, 'completed').toBe(expected.completed);
        },
      };
    },
  };
}
