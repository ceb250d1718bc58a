import { InvalidArgumentError } from '../errors/errors.js';
import type { ProcessManager, ProcessReaction } from './process-manager.js';

/** One instance of a process manager as stored: its state, version, whether it is closed, and its timers. */
export interface ProcessInstance {
  readonly state: unknown;
  /** How many times it was committed: 0 before its first commit. */
  readonly version: number;
  /** Completed: later events for it are ignored. */
  readonly closed: boolean;
  /** Its timers that are set, by name: when each falls due, in ms since the epoch. */
  readonly timers: Readonly<Record<string, number>>;
}

/** A message a process manager sends: a command's type and payload. */
export interface SentCommand {
  readonly type: string;
  readonly data: unknown;
}

/** What one handler's reaction makes of an instance: the instance after it, and the commands it sends. */
export interface ProcessStep {
  /** The instance after the reaction, its version one more. */
  readonly instance: ProcessInstance;
  readonly send: readonly SentCommand[];
  /** False when the reaction changed nothing: there is nothing to commit but the checkpoint. */
  readonly changed: boolean;
}

/** An instance before its first event. */
export function newInstance(manager: ProcessManager): ProcessInstance {
  return { state: manager.initialState(), version: 0, closed: false, timers: {} };
}

/**
 * Applies a handler's reaction to `instance`: the fired timer (if any) is gone, then cancels, then sets, then the
 * end (which cancels every timer). A reaction that is not what {@link ProcessReaction} says is refused
 * (INVALID_ARGUMENT, naming `where`), and nothing is applied.
 */
export function applyReaction(
  manager: ProcessManager,
  instance: ProcessInstance,
  reaction: ProcessReaction<unknown>,
  where: string,
  fired?: string,
): ProcessStep {
  if (typeof reaction !== 'object' || reaction === null) {
    throw new InvalidArgumentError(`${where}: the handler must return an object ({ state, send, setTimers, … })`);
  }
  const { state, send = [], setTimers = {}, cancelTimers = [], complete = false } = reaction;
  const commands = new Set(manager.commands.map((command) => command.type));
  if (!Array.isArray(send) || send.some((c: SentCommand | null) => !commands.has(c?.type as string))) {
    throw new InvalidArgumentError(
      `${where}: send must be an array of commands the process manager lists (${[...commands].join(', ')})`,
    );
  }
  const timers: Record<string, number> = { ...instance.timers };
  if (fired !== undefined) delete timers[fired];
  if (!Array.isArray(cancelTimers)) throw new InvalidArgumentError(`${where}: cancelTimers must be an array`);
  for (const name of cancelTimers) delete timers[checkTimer(manager, name, where)];
  if (typeof setTimers !== 'object' || setTimers === null) {
    throw new InvalidArgumentError(`${where}: setTimers must be an object of times by timer name`);
  }
  for (const [name, at] of Object.entries(setTimers)) {
    if (at === undefined) continue;
    const time = at instanceof Date ? at.getTime() : at;
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
      throw new InvalidArgumentError(`${where}: setTimers.${name} must be a Date or a time in ms since the epoch`);
    }
    timers[checkTimer(manager, name, where)] = time;
  }
  if (typeof complete !== 'boolean') throw new InvalidArgumentError(`${where}: complete must be a boolean`);
  const changed =
    state !== undefined ||
    send.length > 0 ||
    complete ||
    fired !== undefined ||
    Object.keys(setTimers).length > 0 ||
    cancelTimers.some((name) => name in instance.timers);
  return {
    instance: {
      state: state === undefined ? instance.state : state,
      version: instance.version + 1,
      closed: complete,
      timers: complete ? {} : timers,
    },
    send: send.map((command) => ({ type: command.type, data: command.data })),
    changed,
  };
}

function checkTimer(manager: ProcessManager, name: unknown, where: string): string {
  if (typeof name !== 'string' || !manager.timers.includes(name)) {
    throw new InvalidArgumentError(
      `${where}: '${String(name)}' is not a timer of '${manager.name}' (${manager.timers.join(', ') || 'it has none'})`,
    );
  }
  return name;
}
