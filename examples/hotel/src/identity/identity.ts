import type { WriteStore } from '@twofold/core';
import type { Authenticate } from '@twofold/http';
import { type JwtPublicKey, jwt } from '@twofold/http/jwt';
import { SignJWT } from 'jose';
import { principalOf, type Role } from './roles.js';
import { deploymentSecret } from './signing-secret.js';

/** The issuer (`iss`) of the tokens the demo sign-in signs. */
export const HOTEL_ISSUER = 'twofold-hotel';

/** How long a token of the demo sign-in is valid. */
export const TOKEN_LIFETIME_SECONDS = 8 * 60 * 60;

/**
 * Where the hotel's tokens come from.
 * - The demo sign-in (the default): the hotel signs HS256 tokens itself, with `secret` when given (at least
 *   32 characters, the same on every process) or else with the secret stored in its write store.
 * - An external issuer: `publicKey` verifies its RS256 tokens, which must name `issuer` (and `audience` when
 *   given); the demo sign-in is off.
 * Either way a token's `sub` is the user and its `roles` claim lists hotel roles.
 */
export type IdentityOptions =
  | { readonly secret?: string | undefined }
  | {
      readonly publicKey: JwtPublicKey;
      readonly issuer: string | readonly string[];
      readonly audience?: string | readonly string[] | undefined;
    };

/** How the hotel authenticates requests, and how the demo signs people in (when it does). */
export interface Identity {
  readonly authenticate: Authenticate;
  /** Signs a token for `user` in `role`; undefined when tokens come from an external issuer. */
  readonly signIn: ((user: string, role: Role) => Promise<string>) | undefined;
}

/**
 * Sets up the hotel's authentication from its options.
 *
 * @example
 * const { authenticate, signIn } = await createIdentity(stores.writes);
 * const token = await signIn?.('ada', 'guest');
 */
export async function createIdentity(writes: WriteStore, options: IdentityOptions = {}): Promise<Identity> {
  if ('publicKey' in options) {
    const { publicKey, issuer, audience } = options;
    return {
      authenticate: jwt({
        publicKey,
        issuer,
        ...(audience === undefined ? {} : { audience }),
        principal: principalOf,
      }),
      signIn: undefined,
    };
  }
  const secret = options.secret ?? (await deploymentSecret(writes));
  const key = new TextEncoder().encode(secret);
  return {
    authenticate: jwt({ secret, issuer: HOTEL_ISSUER, principal: principalOf }),
    signIn: (user, role) =>
      new SignJWT({ roles: [role] })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user)
        .setIssuer(HOTEL_ISSUER)
        .setIssuedAt()
        .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
        .sign(key),
  };
}
