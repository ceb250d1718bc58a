import { InvalidArgumentError } from '@twofold/core';

// A subject token as Twofold writes them: letters, digits, `_` and `-`. NATS itself forbids the empty token,
// whitespace and the wildcards `*` and `>` in a published subject; the narrower set keeps subjects portable
// (no `$` system prefixes, no characters that need quoting in `nats` CLI filters).
const TOKEN = /^[A-Za-z0-9_-]+$/;

const RULE = 'dot-separated tokens of letters, digits, `_` and `-`, none empty (no spaces, `*`, `>` or `$`)';

function tokensOf(value: unknown): boolean {
  return typeof value === 'string' && value.split('.').every((token) => TOKEN.test(token));
}

/** Throws INVALID_ARGUMENT, naming `where`, unless `prefix` is a valid subject prefix. */
export function checkPrefix(prefix: unknown, where: string): string {
  if (!tokensOf(prefix)) {
    throw new InvalidArgumentError(`${where}: the subject prefix must be ${RULE}; got ${JSON.stringify(prefix)}`);
  }
  return prefix as string;
}

/**
 * The subject an event type is published on: `<prefix>.<type>`, the type's own dots making further tokens
 * (`twofold.events` and `hotel.RoomBooked` give `twofold.events.hotel.RoomBooked`). Throws INVALID_ARGUMENT for
 * a type that is not made of such tokens.
 */
export function subjectOf(prefix: string, type: unknown): string {
  return `${prefix}.${checkEventType(type)}`;
}

/** Throws INVALID_ARGUMENT unless the event type can end a subject. */
export function checkEventType(type: unknown): string {
  if (!tokensOf(type)) {
    throw new InvalidArgumentError(
      `Event type ${JSON.stringify(type)} cannot be a NATS subject: an event type published over NATS must be ${RULE}`,
    );
  }
  return type as string;
}
