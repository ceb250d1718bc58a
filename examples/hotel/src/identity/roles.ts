import type { Principal } from '@twofold/core';
import type { JWTPayload } from 'jose';

/** The hotel's roles, spelled as tokens and the demo sign-in spell them. */
export const ROLES = ['guest', 'frontdesk', 'manager'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `value` is one of the hotel's roles. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * Makes a principal of a verified token's claims: its subject is the user, and of its `roles` claim only the
 * hotel's roles count. Nothing else in the token reaches the handlers. A token without a subject is refused.
 *
 * @example
 * principalOf({ sub: 'ada', roles: ['guest', 'admin'] }); // { id: 'ada', roles: ['guest'] }
 */
export function principalOf(claims: JWTPayload): Principal | undefined {
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) return undefined;
  const roles = Array.isArray(claims.roles) ? claims.roles.filter(isRole) : [];
  return { id: claims.sub, roles };
}
