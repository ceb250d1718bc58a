import type { MessageKind } from './define.js';

/**
 * Who sent a message. `id` identifies the user or service; `roles` and any other claims are free.
 *
 * @example
 * const principal: Principal = { id: 'guest-42', roles: ['guest'] };
 */
export interface Principal {
  /** Who it is: a user id, a service name. */
  readonly id: string;
  /** The roles `hasRole` checks. */
  readonly roles?: readonly string[];
  readonly [claim: string]: unknown;
}

/**
 * A message in flight: its type and validated data, plus who sent it, when, and what caused it.
 * Commands, queries and events all travel in one.
 *
 * The correlation id is shared by every message one request causes; the causation id is the id of
 * the message whose handler sent this one (undefined for a message sent from outside).
 */
export interface Envelope<T extends string = string, D = unknown> {
  /** `'command'`, `'query'` or `'event'`. */
  readonly kind: MessageKind;
  /** The message type, e.g. `'hotel.BookRoom'`. */
  readonly type: T;
  /** The validated payload. */
  readonly data: D;
  /** Unique id of this message (a UUID unless the sender chose one). */
  readonly id: string;
  /** Shared by every message one request causes: the caller's, the parent message's, or else this message's id. */
  readonly correlationId: string;
  /** The id of the message whose handler sent this one; undefined for a message sent from outside. */
  readonly causationId: string | undefined;
  /** Milliseconds since the epoch, taken when the message was dispatched. */
  readonly timestamp: number;
  /** Who sent it: the caller's, or the parent message's; undefined when anonymous. */
  readonly principal: Principal | undefined;
  /** The tenant it runs for: the caller's, or the parent message's. */
  readonly tenant: string | undefined;
  /** Free metadata carried with the message (trace ids, client version…). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * Commands: the key under which the write model stores the result, so that a repeat returns it without running
   * again. The sender's `idempotencyKey`, or the message id when the sender chose it.
   */
  readonly idempotencyKey: string | undefined;
}

/** Envelope fields a caller may set when it sends, asks or publishes. */
export interface EnvelopeOptions {
  /** The message id; for a command, also its idempotency key (a repeat with the same id returns the first result). */
  readonly messageId?: string;
  /** Commands: a repeat with the same key returns the stored result instead of running again. */
  readonly idempotencyKey?: string;
  /** Joins a conversation already under way; by default the parent message's, or the new message's own id. */
  readonly correlationId?: string;
  /** The id of the message that caused this one; by default the parent message's id. */
  readonly causationId?: string;
  /** Who sends it; by default the parent message's principal. */
  readonly principal?: Principal;
  /** The tenant it runs for; by default the parent message's. */
  readonly tenant?: string;
  /** Free metadata carried with the message; by default the parent message's. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Says what is wrong with envelope options handed to send/ask/publish, or returns undefined when they are fine.
 * Callers are often transports passing on what came over the network, so each field is checked.
 */
export function envelopeOptionsProblem(options: EnvelopeOptions): string | undefined {
  for (const key of ['messageId', 'idempotencyKey', 'correlationId', 'causationId', 'tenant'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      return `options.${key} must be a non-empty string; got ${JSON.stringify(value)}`;
    }
  }
  const { principal, metadata } = options;
  if (principal !== undefined) {
    if (
      typeof principal !== 'object' ||
      principal === null ||
      typeof principal.id !== 'string' ||
      principal.id === ''
    ) {
      return 'options.principal must be an object with a non-empty string id';
    }
    if (
      principal.roles !== undefined &&
      (!Array.isArray(principal.roles) || principal.roles.some((r) => typeof r !== 'string'))
    ) {
      return 'options.principal.roles must be an array of strings';
    }
  }
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    return 'options.metadata must be a plain object';
  }
  return undefined;
}

/**
 * The envelope of one dispatch. Ids and the timestamp are costly next to a whole in-process dispatch
 * (a UUID costs about three bare handler calls), so each is made on first read and then kept.
 */
export class DispatchEnvelope<T extends string = string, D = unknown> implements Envelope<T, D> {
  readonly kind: MessageKind;
  readonly type: T;
  readonly data: D;
  readonly principal: Principal | undefined;
  readonly tenant: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly causationId: string | undefined;
  readonly idempotencyKey: string | undefined;
  #id: string | undefined;
  #correlationId: string | undefined;
  #timestamp: number | undefined;
  #parent: Envelope | undefined;

  constructor(kind: MessageKind, type: T, data: D, options: EnvelopeOptions | undefined, parent?: Envelope) {
    this.kind = kind;
    this.type = type;
    this.data = data;
    this.#parent = parent;
    if (options === undefined) {
      this.principal = parent?.principal;
      this.tenant = parent?.tenant;
      this.metadata = parent?.metadata ?? EMPTY;
      this.causationId = undefined;
      this.idempotencyKey = undefined;
      this.#id = undefined;
      this.#correlationId = undefined;
    } else {
      this.principal = options.principal ?? parent?.principal;
      this.tenant = options.tenant ?? parent?.tenant;
      this.metadata = options.metadata ?? parent?.metadata ?? EMPTY;
      this.causationId = options.causationId;
      this.idempotencyKey = kind === 'command' ? (options.idempotencyKey ?? options.messageId) : undefined;
      this.#id = options.messageId;
      this.#correlationId = options.correlationId;
    }
    this.#timestamp = undefined;
    if (parent !== undefined && this.causationId === undefined) this.causationId = parent.id;
  }

  get id(): string {
    if (this.#id === undefined) this.#id = crypto.randomUUID();
    return this.#id;
  }

  get correlationId(): string {
    if (this.#correlationId === undefined) this.#correlationId = this.#parent?.correlationId ?? this.id;
    return this.#correlationId;
  }

  get timestamp(): number {
    if (this.#timestamp === undefined) this.#timestamp = Date.now();
    return this.#timestamp;
  }

  /** Fixes the timestamp now; called by transports and stores that must record dispatch time exactly. */
  stamp(): this {
    void this.timestamp;
    return this;
  }

  toJSON(): Envelope<T, D> {
    return {
      kind: this.kind,
      type: this.type,
      data: this.data,
      id: this.id,
      correlationId: this.correlationId,
      causationId: this.causationId,
      timestamp: this.timestamp,
      principal: this.principal,
      tenant: this.tenant,
      metadata: this.metadata,
      idempotencyKey: this.idempotencyKey,
    };
  }
}
