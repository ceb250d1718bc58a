import { InvalidArgumentError } from '../errors/errors.js';
import type { NewOutboxMessage } from './ports.js';

/** Checks a message to enqueue and returns its id (a new UUID when it has none). */
export function checkOutboxMessage(message: NewOutboxMessage): string {
  if (typeof message?.topic !== 'string' || message.topic.length === 0) {
    throw new InvalidArgumentError('An outbox message needs a non-empty topic');
  }
  const id = message.id ?? crypto.randomUUID();
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidArgumentError(`Outbox message for ${message.topic}: id must be a non-empty string`);
  }
  if (JSON.stringify(message.payload) === undefined) {
    throw new InvalidArgumentError(`Outbox message ${id} for ${message.topic}: the payload must be JSON`);
  }
  return id;
}
