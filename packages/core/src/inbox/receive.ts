import { InvalidArgumentError } from '../errors/errors.js';
import { callback, type Protocol } from '../protocol/run.js';
import type { InboxDialect } from './inbox-dialect.js';

/** Throws INVALID_ARGUMENT unless the consumer name and the message id are non-empty strings. */
export function checkInboxEntry(consumer: unknown, messageId: unknown): void {
  if (typeof consumer !== 'string' || consumer.length === 0) {
    throw new InvalidArgumentError(`Inbox: the consumer must be a non-empty string; got ${JSON.stringify(consumer)}`);
  }
  if (typeof messageId !== 'string' || messageId.length === 0) {
    throw new InvalidArgumentError(
      `Inbox of ${consumer}: the message id must be a non-empty string; got ${JSON.stringify(messageId)}`,
    );
  }
}

/**
 * Checks the arguments of `pruneBefore`; the cut-off in ms since the epoch. Throws INVALID_ARGUMENT for an empty
 * consumer or a `before` that is not a valid Date.
 */
export function checkPruneBefore(consumer: unknown, before: unknown): number {
  if (typeof consumer !== 'string' || consumer.length === 0) {
    throw new InvalidArgumentError(
      `Inbox pruneBefore: the consumer must be a non-empty string; got ${JSON.stringify(consumer)}`,
    );
  }
  const at = before instanceof Date ? before.getTime() : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new InvalidArgumentError(
      `Inbox of ${String(consumer)}: pruneBefore needs a valid Date; got ${before instanceof Date ? 'an invalid Date' : JSON.stringify(before)}`,
    );
  }
  return at;
}

/**
 * Inside one write transaction: records the message in the inbox first (so that a concurrent delivery of it
 * waits, then finds it), then runs the effect; true when it ran, false when the message was received before.
 * The caller commits the transaction, or rolls it back when this throws.
 *
 * @example
 * db.transaction(() => runSync(receiveOnce(dialect, db, { consumer, messageId, effect })))();
 */
export function* receiveOnce<Tx>(
  dialect: InboxDialect<Tx>,
  tx: Tx,
  message: { readonly consumer: string; readonly messageId: string; readonly effect: (tx: Tx) => void | Promise<void> },
): Protocol<boolean> {
  const { consumer, messageId, effect } = message;
  const fresh: boolean = yield dialect.record(tx, consumer, messageId, Date.now());
  if (!fresh) return false;
  yield callback(effect(tx), `The effect of message ${messageId} in the inbox of ${consumer}`);
  return true;
}
