import { createPublicKey, type JsonWebKey, KeyObject } from 'node:crypto';
import { types } from 'node:util';
import { InvalidArgumentError } from '@twofold/core';
import type { CryptoKey, JWK } from 'jose';

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
export const MIN_SECRET_BYTES = 32;
/** Shorter RSA keys can be factored; jose itself refuses them, but only when a token arrives. */
export const MIN_RSA_BITS = 2048;

/** A secret for HS256: its text (UTF-8), its bytes, or a secret KeyObject or CryptoKey. */
export type JwtSecret = string | Uint8Array | KeyObject | CryptoKey;
/** A public key for RS256: a PEM (SPKI) string, a KeyObject, a CryptoKey or a JWK. */
export type JwtPublicKey = string | KeyObject | CryptoKey | JWK;

/**
 * Checks an HS256 secret when the app is configured, so that a short one fails at start-up rather than being
 * brute-forced later, whatever form it comes in.
 */
export function secretKey(secret: JwtSecret): Uint8Array | KeyObject {
  const key = asKeyObject(secret);
  if (key !== undefined) {
    if (key.type !== 'secret') {
      throw new InvalidArgumentError(`jwt(): secret is a ${key.type} key; give an asymmetric key as publicKey`);
    }
    if ((key.symmetricKeySize ?? 0) < MIN_SECRET_BYTES) {
      throw new InvalidArgumentError(
        `jwt(): an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes long; this key has ${key.symmetricKeySize ?? 0}`,
      );
    }
    return key;
  }
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = new TextEncoder().encode(secret);
  else if (secret instanceof Uint8Array) bytes = Uint8Array.from(secret);
  else throw new InvalidArgumentError('jwt(): secret must be a string, a Uint8Array, a KeyObject or a CryptoKey');
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new InvalidArgumentError(
      `jwt(): an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes long; this one has ${bytes.byteLength}`,
    );
  }
  return bytes;
}

/** Reads and checks an RS256 public key when the app is configured: a bad PEM or a short key fails at start-up. */
export function publicKeyObject(publicKey: JwtPublicKey): KeyObject {
  let key = asKeyObject(publicKey);
  if (key === undefined) {
    try {
      key =
        typeof publicKey === 'string'
          ? createPublicKey(publicKey)
          : createPublicKey({ key: publicKey as JsonWebKey, format: 'jwk' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidArgumentError(`jwt(): publicKey is not a readable RSA public key (${reason})`);
    }
  }
  if (key.type !== 'public') {
    throw new InvalidArgumentError(`jwt(): publicKey is a ${key.type} key; give an RSA public key`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InvalidArgumentError(`jwt(): publicKey is a ${key.asymmetricKeyType} key; RS256 needs an RSA key`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new InvalidArgumentError(
      `jwt(): an RSA publicKey must have at least ${MIN_RSA_BITS} bits; this one has ${bits}`,
    );
  }
  return key;
}

function asKeyObject(key: unknown): KeyObject | undefined {
  if (types.isKeyObject(key)) return key as KeyObject;
  if (types.isCryptoKey(key)) return KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
  return undefined;
}
