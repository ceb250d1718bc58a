import { InvalidArgumentError, type Principal } from '@twofold/core';
import { type CryptoKey, importSPKI, type JWK, type JWTPayload, jwtVerify, type KeyObject } from 'jose';
import { type Authenticate, bearer } from './authenticate.js';

/** Options of {@link jwt}: exactly one of `secret` (HS256) and `publicKey` (RS256). */
export interface JwtOptions {
  /** The shared secret of HS256 tokens. */
  readonly secret?: string | Uint8Array;
  /** The public key of RS256 tokens: a PEM (SPKI) string, a KeyObject, a CryptoKey or a JWK. */
  readonly publicKey?: string | KeyObject | CryptoKey | JWK;
  /** Accept only tokens from this issuer (`iss`). */
  readonly issuer?: string | readonly string[];
  /** Accept only tokens for this audience (`aud`). */
  readonly audience?: string | readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds. Default: 0. */
  readonly clockTolerance?: number;
  /**
   * Makes a principal of the verified claims. Default: `id` from `sub`, `roles` from a `roles` claim that is a
   * list of strings, and every other claim as it is. Return `undefined` to refuse the token.
   */
  readonly principal?: (claims: JWTPayload) => Principal | undefined;
}

/**
 * JWT bearer authentication (HS256 or RS256), verified with `jose`. A missing, expired, badly signed or
 * otherwise invalid token is a 401; no Authorization header at all is an anonymous caller.
 *
 * @example
 * import { jwt } from '@twofold/http/jwt';
 * await app.register(twofoldHttp, { mediator, authenticate: jwt({ secret: process.env.JWT_SECRET!, issuer: 'hotel' }) });
 */
export function jwt(options: JwtOptions): Authenticate {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('jwt(): options must be an object with a secret or a publicKey');
  }
  const { secret, publicKey } = options;
  if ((secret === undefined) === (publicKey === undefined)) {
    throw new InvalidArgumentError('jwt(): give exactly one of secret (HS256) and publicKey (RS256)');
  }
  if (typeof secret === 'string' && secret.length < 32) {
    throw new InvalidArgumentError('jwt(): an HS256 secret must be at least 32 characters long');
  }
  const algorithm = secret === undefined ? 'RS256' : 'HS256';
  const key: Promise<Uint8Array | KeyObject | CryptoKey | JWK> =
    secret !== undefined
      ? Promise.resolve(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret)
      : typeof publicKey === 'string'
        ? importSPKI(publicKey, algorithm)
        : Promise.resolve(publicKey!);
  // An invalid PEM should fail at the first request, not as an unhandled rejection at start-up.
  key.catch(() => {});
  const toPrincipal = options.principal ?? defaultPrincipal;
  const verifyOptions = {
    algorithms: [algorithm],
    ...(options.issuer === undefined ? {} : { issuer: options.issuer as string | string[] }),
    ...(options.audience === undefined ? {} : { audience: options.audience as string | string[] }),
    ...(options.clockTolerance === undefined ? {} : { clockTolerance: options.clockTolerance }),
  };
  return bearer(async (token) => {
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, await key, verifyOptions)).payload;
    } catch (error) {
      if (error instanceof Error && (error as { code?: unknown }).code === undefined) throw error;
      return undefined;
    }
    return toPrincipal(claims);
  });
}

function defaultPrincipal(claims: JWTPayload): Principal | undefined {
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) return undefined;
  const roles = Array.isArray(claims.roles) && claims.roles.every((r) => typeof r === 'string') ? claims.roles : [];
  return { ...claims, id: claims.sub, roles };
}
