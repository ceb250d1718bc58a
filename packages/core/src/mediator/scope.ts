import { InvalidArgumentError } from '../errors/errors.js';
import type { MessageDefinition, MessageKind } from '../messages/define.js';

/**
 * Where a middleware applies: a kind, a tag, or both. To scope to one message type, pass its definition
 * to `use` instead.
 *
 * @example
 * mediator.use({ kind: 'query', tag: 'reports' }, cacheMiddleware);
 */
export interface MiddlewareScope<K extends MessageKind | undefined = MessageKind | undefined> {
  readonly kind?: K;
  readonly tag?: string;
  // A definition has these, and must go through the overload that types the middleware by its payload.
  readonly type?: never;
  readonly schema?: never;
}

export interface ScopeFilter {
  readonly kind?: MessageKind;
  readonly tag?: string;
  readonly type?: string;
}

const KINDS: readonly unknown[] = ['command', 'query', 'event'];

export function parseScope(scope: unknown): ScopeFilter {
  if (typeof scope !== 'object' || scope === null) {
    throw new InvalidArgumentError(
      `use(scope, middleware): the scope must be a message definition or { kind?, tag? }; got ${scope === null ? 'null' : typeof scope}`,
    );
  }
  if ('schema' in scope && 'type' in scope && 'kind' in scope) {
    const definition = scope as MessageDefinition;
    return { kind: definition.kind, type: definition.type };
  }
  const { kind, tag, ...rest } = scope as { kind?: unknown; tag?: unknown };
  const unknownKeys = Object.keys(rest);
  if (unknownKeys.length > 0) {
    throw new InvalidArgumentError(
      `use(scope, middleware): unknown scope key(s) ${unknownKeys.join(', ')}; use kind or tag`,
    );
  }
  if (kind !== undefined && !KINDS.includes(kind)) {
    throw new InvalidArgumentError(
      `use(scope, middleware): scope.kind must be 'command', 'query' or 'event'; got ${JSON.stringify(kind)}`,
    );
  }
  if (tag !== undefined && (typeof tag !== 'string' || tag.length === 0)) {
    throw new InvalidArgumentError('use(scope, middleware): scope.tag must be a non-empty string');
  }
  if (kind === undefined && tag === undefined) {
    throw new InvalidArgumentError(
      'use(scope, middleware): the scope names neither a kind nor a tag; omit it for a global middleware',
    );
  }
  return { ...(kind === undefined ? {} : { kind: kind as MessageKind }), ...(tag === undefined ? {} : { tag }) };
}

export function scopeMatches(filter: ScopeFilter, definition: MessageDefinition): boolean {
  return (
    (filter.kind === undefined || filter.kind === definition.kind) &&
    (filter.type === undefined || filter.type === definition.type) &&
    (filter.tag === undefined || definition.tags.includes(filter.tag))
  );
}
