import { createHmac, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { InvalidArgumentError, UnauthenticatedError } from '@twofold/core';
import type { FastifyRequest } from 'fastify';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { type JwtSecret, jwt } from './jwt.js';

const SECRET = 'a-test-secret-that-is-long-enough!';
const KEY = new TextEncoder().encode(SECRET);
const request = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as FastifyRequest;
const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(KEY);

describe('jwt() defaults', () => {
  it('refuses a token without exp unless allowNoExpiry is set (such a token never expired)', async () => {
    const token = await sign({ sub: 'ada', iat: now() });
    await expect(jwt({ secret: SECRET })(request(token))).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(await jwt({ secret: SECRET, allowNoExpiry: true })(request(token))).toEqual({ id: 'ada', roles: [] });
  });

  it('refuses an iat or nbf further ahead than the clock tolerance (an iat a year ahead was accepted)', async () => {
    const authenticate = jwt({ secret: SECRET });
    const exp = now() + 2 * 365 * 86_400;
    const ahead = [
      await sign({ sub: 'ada', iat: now() + 365 * 86_400, exp }),
      await sign({ sub: 'ada', iat: now() + 120, exp }),
      await sign({ sub: 'ada', nbf: now() + 120, exp }),
    ];
    for (const token of ahead) {
      await expect(authenticate(request(token))).rejects.toBeInstanceOf(UnauthenticatedError);
    }
    const slightlyAhead = await sign({ sub: 'ada', iat: now() + 30, nbf: now() + 30, exp: now() + 600 });
    expect(await authenticate(request(slightlyAhead))).toEqual({ id: 'ada', roles: [] });
    const strict = jwt({ secret: SECRET, clockTolerance: 0 });
    await expect(strict(request(slightlyAhead))).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuses an exp too large to be a date (1e400 parses as Infinity), which would never expire', async () => {
    // Signed by hand: JSON.stringify cannot write a number that JSON.parse reads as Infinity.
    const part = (json: string) => Buffer.from(json).toString('base64url');
    const unsigned = `${part('{"alg":"HS256","typ":"JWT"}')}.${part('{"sub":"ada","exp":1e400}')}`;
    const token = `${unsigned}.${createHmac('sha256', KEY).update(unsigned).digest('base64url')}`;
    await expect(jwt({ secret: SECRET })(request(token))).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(jwt({ secret: SECRET, allowNoExpiry: true })(request(token))).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
  });

  it('accepts a token that expired within the clock tolerance, and refuses one that expired before it', async () => {
    const authenticate = jwt({ secret: SECRET, clockTolerance: 60 });
    expect(await authenticate(request(await sign({ sub: 'ada', exp: now() - 30 })))).toEqual({ id: 'ada', roles: [] });
    await expect(authenticate(request(await sign({ sub: 'ada', exp: now() - 90 })))).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
  });

  it('copies only id and roles into the principal: no arbitrary claims, no own __proto__', async () => {
    const claims = JSON.parse(
      `{"sub":"ada","roles":["guest"],"admin":true,"__proto__":{"roles":["manager"],"polluted":true},"exp":${now() + 60}}`,
    ) as Record<string, unknown>;
    expect(Object.hasOwn(claims, '__proto__')).toBe(true);
    const principal = await jwt({ secret: SECRET })(request(await sign(claims)));
    expect(principal).toEqual({ id: 'ada', roles: ['guest'] });
    expect(Object.keys(principal!)).toEqual(['id', 'roles']);
    expect(Object.hasOwn(principal!, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(principal)).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('jwt() keys', () => {
  const short = (secret: JwtSecret) => () => jwt({ secret });

  it('refuses an HS256 secret shorter than 32 bytes, whatever its type (a 1-byte Uint8Array was accepted)', () => {
    const cases = [
      new Uint8Array(1),
      new Uint8Array(31),
      Buffer.alloc(31, 7),
      'x'.repeat(31),
      createSecretKey(Buffer.alloc(16, 1)),
    ];
    for (const secret of cases) {
      expect(short(secret)).toThrow(InvalidArgumentError);
      expect(short(secret)).toThrow(/at least 32 bytes/);
    }
    expect(() => jwt({ secret: new Uint8Array(32) })).not.toThrow();
    expect(() => jwt({ secret: createSecretKey(Buffer.alloc(32, 1)) })).not.toThrow();
    // Eleven three-byte characters are 33 bytes: the length that matters is the key's, not the string's.
    expect(() => jwt({ secret: '€'.repeat(11) })).not.toThrow();
  });

  it('refuses a short HMAC CryptoKey', async () => {
    const key = await crypto.subtle.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    expect(short(key)).toThrow(/at least 32 bytes/);
  });

  it('refuses an asymmetric key as secret, and a secret, short or unreadable key as publicKey', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(short(publicKey)).toThrow(/give an asymmetric key as publicKey/);
    expect(() => jwt({ publicKey: createSecretKey(Buffer.alloc(32)) })).toThrow(/publicKey is a secret key/);
    expect(() => jwt({ publicKey: weak })).toThrow(/at least 2048 bits; this one has 1024/);
    expect(() => jwt({ publicKey: weak.export({ type: 'spki', format: 'pem' }) as string })).toThrow(/2048 bits/);
    expect(() => jwt({ publicKey: ec })).toThrow(/RS256 needs an RSA key/);
    expect(() => jwt({ publicKey: 'not a pem' })).toThrow(InvalidArgumentError);
    expect(() => jwt({ publicKey: publicKey.export({ format: 'jwk' }) })).not.toThrow();
  });
});
