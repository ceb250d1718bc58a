import type { CommandStatus } from '../command-queue/records.js';
import type { GlobalPosition } from '../positions/position.js';
import type { ProblemCode } from './problems.js';

/**
 * The longest `Prefer: wait=N` a queued command's status resource honours, in seconds; a longer wait is cut to
 * it, and `Preference-Applied` says so (`wait=20`).
 *
 * @example
 * await fetch(location, { headers: { prefer: `wait=${MAX_WAIT_SECONDS}` } });
 */
export const MAX_WAIT_SECONDS = 20;

/**
 * The statuses after which a queued command changes no more: `succeeded`, `dead` and `cancelled`.
 *
 * @example
 * FINAL_COMMAND_STATUSES.includes(body.status); // true once waiting is over
 */
export const FINAL_COMMAND_STATUSES: readonly CommandStatus[] = Object.freeze(['succeeded', 'dead', 'cancelled']);

/**
 * The path of a queued command's status resource, under the plugin's prefix: `commands/status/{id}`, relative,
 * so that it resolves against a base URL that ends in `/`.
 *
 * @example
 * commandStatusPath('0b9e…'); // 'commands/status/0b9e…'
 */
export function commandStatusPath(id: string): string {
  return `commands/status/${encodeURIComponent(id)}`;
}

/**
 * The body of `202 Accepted` to `POST /commands/{type}` sent with `Prefer: respond-async`: the queued command's
 * id and status (`queued`, or further along when an Idempotency-Key found the command already there). Its status
 * resource is in the `Location` header.
 *
 * @example
 * { "id": "0b9e…", "status": "queued" }
 */
export interface AcceptedCommandBody {
  readonly id: string;
  readonly status: CommandStatus;
}

/**
 * A queued command's status resource, `GET commands/status/{id}`. `result` and `position` once it has
 * `succeeded` (pass `position` as `Twofold-After` to read its write), `problem` when an attempt failed
 * (`failed`, `dead`).
 *
 * @example
 * { "id": "0b9e…", "type": "hotel.BookRoom", "status": "succeeded", "attempts": 1,
 *   "result": { "bookingId": "b-17" }, "position": 42 }
 */
export interface CommandStatusBody<R = unknown> {
  readonly id: string;
  readonly type: string;
  readonly status: CommandStatus;
  readonly attempts: number;
  readonly result?: R | null;
  readonly position?: GlobalPosition | null;
  readonly problem?: CommandStatusProblem;
}

/** Why a queued command's last attempt failed: its problem code, and a sentence for people. */
export interface CommandStatusProblem {
  readonly code: ProblemCode;
  readonly detail: string;
}
