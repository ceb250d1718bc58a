import { InvalidArgumentError } from '../errors/errors.js';
import type { ClaimRequest, CommandCompletion } from './ports.js';
import type { NewQueuedCommand } from './records.js';

/** Refuses a command no store could hold or order, naming the field; every store applies it. */
export function checkNewCommand(command: NewQueuedCommand): void {
  const where = `Queued command ${JSON.stringify(command?.id)}`;
  if (typeof command?.id !== 'string' || command.id.length === 0) {
    throw new InvalidArgumentError('A queued command needs a non-empty string id');
  }
  if (typeof command.type !== 'string' || command.type.length === 0) {
    throw new InvalidArgumentError(`${where}: type must be a non-empty string`);
  }
  if (command.key !== undefined && (typeof command.key !== 'string' || command.key.length === 0)) {
    throw new InvalidArgumentError(`${where}: key must be a non-empty string`);
  }
  if (!Number.isSafeInteger(command.priority)) {
    throw new InvalidArgumentError(`${where}: priority must be an integer; got ${String(command.priority)}`);
  }
  for (const field of ['runAt', 'enqueuedAt'] as const) {
    if (!Number.isSafeInteger(command[field]) || command[field] < 0) {
      throw new InvalidArgumentError(`${where}: ${field} must be a time in ms since the epoch`);
    }
  }
  if (typeof command.envelope !== 'object' || command.envelope === null) {
    throw new InvalidArgumentError(`${where}: envelope must be an object`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(command.data);
  } catch (error) {
    throw new InvalidArgumentError(`${where}: the payload must be JSON: ${(error as Error).message}`);
  }
  if (json === undefined) throw new InvalidArgumentError(`${where}: the payload must be JSON`);
}

/** Refuses a claim that asks for no command, a lease that is not a positive whole number, or no time. */
export function checkClaimRequest(request: ClaimRequest): void {
  if (!Number.isSafeInteger(request?.limit) || request.limit < 1) {
    throw new InvalidArgumentError(`claim(): limit must be an integer >= 1; got ${String(request?.limit)}`);
  }
  if (!Number.isSafeInteger(request.leaseMs) || request.leaseMs < 1) {
    throw new InvalidArgumentError(`claim(): leaseMs must be an integer >= 1; got ${String(request.leaseMs)}`);
  }
  if (!Number.isSafeInteger(request.now) || request.now < 0) {
    throw new InvalidArgumentError('claim(): now must be a time in ms since the epoch');
  }
}

/** Refuses completions that are not a list of held commands (an id and a lease each) with a success. */
export function checkCompletions(completions: readonly CommandCompletion[]): void {
  if (!Array.isArray(completions)) {
    throw new InvalidArgumentError('completeAndClaim(): completions must be an array');
  }
  for (const [i, completion] of completions.entries()) {
    if (typeof completion?.id !== 'string' || typeof completion.lease !== 'string') {
      throw new InvalidArgumentError(`completeAndClaim(): completions[${i}] needs a string id and lease`);
    }
    if (typeof completion.success !== 'object' || completion.success === null) {
      throw new InvalidArgumentError(`completeAndClaim(): completions[${i}] needs a success`);
    }
  }
}
