import { InvalidArgumentError } from '../errors/errors.js';
import type { MessageKind } from '../messages/define.js';

export function assertDefinition(definition: unknown, kind: MessageKind, where: string): void {
  if (typeof definition !== 'object' || definition === null || !('kind' in definition) || !('schema' in definition)) {
    throw new InvalidArgumentError(
      `${where}: the first argument must be ${kind === 'event' ? 'an' : 'a'} ${kind} definition from define${cap(kind)}()`,
    );
  }
  if (definition.kind !== kind) {
    throw new InvalidArgumentError(
      `${where}: expected ${kind === 'event' ? 'an' : 'a'} ${kind} definition, got the ${String(definition.kind)} '${String((definition as { type?: unknown }).type)}'`,
    );
  }
}

export function assertHandler(handler: unknown, where: string): void {
  if (typeof handler !== 'function') {
    throw new InvalidArgumentError(
      `${where}: the handler must be a function; got ${handler === null ? 'null' : typeof handler}`,
    );
  }
}

export function assertStrategy(strategy: unknown, where: string): void {
  if (strategy !== 'sequential' && strategy !== 'parallel') {
    throw new InvalidArgumentError(`${where} must be 'sequential' or 'parallel'; got ${JSON.stringify(strategy)}`);
  }
}

function cap(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}

export function misdirected(kind: MessageKind, definition: unknown): InvalidArgumentError {
  const verb = kind === 'command' ? 'send()' : kind === 'query' ? 'ask()/stream()' : 'publish()';
  if (typeof definition !== 'object' || definition === null || !('kind' in definition)) {
    return new InvalidArgumentError(
      `${verb} takes a ${kind} definition from define${cap(kind)}(); got ${typeof definition}`,
    );
  }
  return new InvalidArgumentError(
    `${verb} takes a ${kind} definition; '${String((definition as { type?: unknown }).type)}' is a ${String(definition.kind)}`,
  );
}
