import { type Principal, UnauthenticatedError } from '@twofold/core';
import type { FastifyRequest } from 'fastify';

/**
 * Finds out who sent a request. Return the principal, `undefined` for an anonymous caller (the mediator's
 * `authorize()` policies then decide), or throw `UnauthenticatedError` for credentials that are wrong (401).
 *
 * @example
 * const authenticate: Authenticate = (request) =>
 *   request.headers['x-api-key'] === process.env.API_KEY ? { id: 'ops', roles: ['operator'] } : undefined;
 */
export type Authenticate = (request: FastifyRequest) => Principal | undefined | Promise<Principal | undefined>;

/** Checks one bearer token: the principal it stands for, or `undefined` when it is not valid. */
export type VerifyToken = (
  token: string,
  request: FastifyRequest,
) => Principal | undefined | Promise<Principal | undefined>;

/**
 * Authentication by `Authorization: Bearer <token>`. No header means anonymous; another scheme, or a token
 * that `verify` rejects, is a 401.
 *
 * @example
 * const sessions = new Map([['s3cr3t', { id: 'guest-1', roles: ['guest'] }]]);
 * await app.register(twofoldHttp, { mediator, authenticate: bearer((token) => sessions.get(token)) });
 */
export function bearer(verify: VerifyToken): Authenticate {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const match = /^Bearer +([\w~+/.=-]+)\s*$/i.exec(header);
    if (match === null) throw new UnauthenticatedError('Send credentials as Authorization: Bearer <token>');
    const principal = await verify(match[1]!, request);
    if (principal === undefined) throw new UnauthenticatedError('The bearer token is not valid');
    return principal;
  };
}
