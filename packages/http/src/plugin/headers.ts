import { type GlobalPosition, globalPosition } from '@twofold/core';
import { HEADERS } from '@twofold/core/wire';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../problems/problem.js';

const CORRELATION_ID = /^[\w.:@/+=-]{1,128}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const POSITION = /^(?:0|[1-9]\d{0,15})$/;

function single(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) throw new HttpProblem('MALFORMED_REQUEST', `Send at most one ${name} header`);
  return value;
}

/** The caller's correlation id, or a new one. */
export function correlationIdOf(request: FastifyRequest): string {
  const value = single(request, HEADERS.correlationId);
  if (value === undefined) return crypto.randomUUID();
  if (!CORRELATION_ID.test(value)) {
    throw new HttpProblem(
      'MALFORMED_REQUEST',
      `${HEADERS.correlationId} must be 1 to 128 characters of letters, digits and . _ : @ / + = -`,
    );
  }
  return value;
}

/** Parses a read-your-writes token from the `Twofold-After` header or the `after` query parameter. */
export function positionOf(value: string | undefined, where: string): GlobalPosition | undefined {
  if (value === undefined) return undefined;
  if (!POSITION.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new HttpProblem('MALFORMED_REQUEST', `${where} must be a global position: a whole number >= 0`);
  }
  return globalPosition(Number(value));
}

export function afterHeaderOf(request: FastifyRequest): GlobalPosition | undefined {
  return positionOf(single(request, HEADERS.after), `The ${HEADERS.after} header`);
}

export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = single(request, HEADERS.idempotencyKey);
  if (value === undefined) return undefined;
  const key = value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new HttpProblem('MALFORMED_REQUEST', `${HEADERS.idempotencyKey} must be 1 to 255 visible ASCII characters`);
  }
  return key;
}

/**
 * The entity tags of an `If-Match` header, unquoted; `['*']` for any. Weak tags never match under the
 * strong comparison If-Match uses, so they are left out.
 */
export function ifMatchOf(request: FastifyRequest): readonly string[] | undefined {
  const value = single(request, HEADERS.ifMatch);
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '*') return ['*'];
  const tags: string[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(W\/)?"([\x21\x23-\x7e]*)"\s*$/.exec(part);
    if (match === null) {
      throw new HttpProblem('MALFORMED_REQUEST', 'If-Match must be * or a list of quoted entity tags');
    }
    if (match[1] === undefined) tags.push(match[2]!);
  }
  return tags;
}
