import { InvalidArgumentError, type Principal } from '@twofold/core';
import { type JWTPayload, jwtVerify } from 'jose';
import { type Authenticate, bearer } from './authenticate.js';
import { type JwtPublicKey, type JwtSecret, publicKeyObject, secretKey } from './jwt-key.js';

export type { JwtPublicKey, JwtSecret } from './jwt-key.js';

/** Options of {@link jwt}: exactly one of `secret` (HS256) and `publicKey` (RS256). */
export interface JwtOptions {
  /** The shared secret of HS256 tokens: at least 32 bytes (a string counts its UTF-8 bytes). */
  readonly secret?: JwtSecret;
  /** The public key of RS256 tokens: a PEM (SPKI) string, a KeyObject, a CryptoKey or a JWK, of 2048 bits or more. */
  readonly publicKey?: JwtPublicKey;
  /** Accept only tokens from this issuer (`iss`). */
  readonly issuer?: string | readonly string[];
  /** Accept only tokens for this audience (`aud`). */
  readonly audience?: string | readonly string[];
  /**
   * How far the issuer's clock may be off from this server's, in seconds: a token is still accepted this long
   * after its `exp`, and refused when its `iat` or `nbf` is further ahead than this. Default: 60.
   */
  readonly clockTolerance?: number;
  /** Accept tokens without an `exp` claim, which never expire. Default: false, such a token is a 401. */
  readonly allowNoExpiry?: boolean;
  /**
   * Makes a principal of the verified claims. Default: `id` from `sub` and `roles` from a `roles` claim that
   * is a list of strings; no other claim is copied. Return `undefined` to refuse the token.
   */
  readonly principal?: (claims: JWTPayload) => Principal | undefined;
}

/** The default of {@link JwtOptions.clockTolerance}, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE = 60;

/**
 * JWT bearer authentication (HS256 or RS256), verified with `jose`. A missing, expired, not yet valid, badly
 * signed or otherwise invalid token is a 401; no Authorization header at all is an anonymous caller. Keys are
 * checked when `jwt()` is called: a short secret or an unreadable public key throws `InvalidArgumentError`.
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
  const tolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new InvalidArgumentError('jwt(): clockTolerance must be a number of seconds, 0 or more');
  }
  const algorithm = secret === undefined ? 'RS256' : 'HS256';
  const key = secret === undefined ? publicKeyObject(publicKey!) : secretKey(secret);
  const toPrincipal = options.principal ?? defaultPrincipal;
  const verifyOptions = {
    algorithms: [algorithm],
    clockTolerance: tolerance,
    requiredClaims: options.allowNoExpiry === true ? [] : ['exp'],
    ...(options.issuer === undefined ? {} : { issuer: options.issuer as string | string[] }),
    ...(options.audience === undefined ? {} : { audience: options.audience as string | string[] }),
  };
  return bearer(async (token) => {
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, key, verifyOptions)).payload;
    } catch (error) {
      if (error instanceof Error && (error as { code?: unknown }).code === undefined) throw error;
      return undefined;
    }
    // jose checks a future `iat` only together with a maximum token age; a token issued ahead of our clock
    // is forged or comes from a clock that is wrong, and would outlive its intended lifetime.
    if (typeof claims.iat === 'number' && claims.iat > Date.now() / 1000 + tolerance) return undefined;
    // `"exp": 1e400` parses as Infinity, which jose compares as a date that never comes.
    if (claims.exp !== undefined && !Number.isFinite(claims.exp)) return undefined;
    return toPrincipal(claims);
  });
}

function defaultPrincipal(claims: JWTPayload): Principal | undefined {
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) return undefined;
  const roles =
    Array.isArray(claims.roles) && claims.roles.every((r) => typeof r === 'string') ? [...claims.roles] : [];
  return { id: claims.sub, roles };
}
