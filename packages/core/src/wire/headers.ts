/**
 * The names of the headers Twofold's HTTP API reads and writes, in lower case (as Node hands them over; HTTP
 * header names are case-insensitive). The server plugin and the client both take them from here.
 *
 * - `after` (`Twofold-After`): sent with a query, the position it must read from (read-your-writes).
 * - `position` (`Twofold-Position`): answered by a command, the position its write committed at.
 * - `consistency` (`Twofold-Consistency`): answered `none` by a query asked with `after` that declares no read
 *   models, so there was nothing to wait for.
 * - `correlationId` (`Twofold-Correlation-Id`): sent or answered, the id that ties a request to the logs.
 * - `idempotencyKey` (`Idempotency-Key`): sent with a command, so that a retry is answered instead of run again.
 * - `idempotentReplayed` (`Idempotent-Replayed`): answered `true` when a command's answer is such a repeat.
 * - `ifMatch` (`If-Match`): sent with a command, the version its target is expected to have.
 * - `prefer` (`Prefer`, RFC 7240): `respond-async` on a command asks for it to be queued (202 Accepted);
 *   `wait=N` on a queued command's status asks to wait up to N seconds for a final status.
 * - `preferenceApplied` (`Preference-Applied`): answered with the preferences that were honoured.
 * - `location` (`Location`): answered with a 202, the queued command's status resource.
 *
 * @example
 * import { HEADERS } from '@twofold/core/wire';
 * const response = await fetch('/api/queries/hotel.FreeRooms', { headers: { [HEADERS.after]: '42' } });
 * response.headers.get(HEADERS.correlationId); // '4f0c…'
 */
export const HEADERS = Object.freeze({
  position: 'twofold-position',
  after: 'twofold-after',
  consistency: 'twofold-consistency',
  correlationId: 'twofold-correlation-id',
  idempotencyKey: 'idempotency-key',
  idempotentReplayed: 'idempotent-replayed',
  ifMatch: 'if-match',
  prefer: 'prefer',
  preferenceApplied: 'preference-applied',
  location: 'location',
} as const);
