import { createMediator, defineQuery, UnauthenticatedError } from '@twofold/core';
import Fastify, { type FastifyRequest } from 'fastify';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { twofoldHttp } from '../plugin/plugin.js';
import { jwt } from './jwt.js';

const SECRET = 'a-test-secret-that-is-long-enough!';
const request = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;
const hs256 = (claims: Record<string, unknown>, expires = '1h') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(SECRET));

describe('jwt()', () => {
  it('verifies HS256 tokens and makes a principal of their claims', async () => {
    const authenticate = jwt({ secret: SECRET, issuer: 'hotel' });
    const token = await hs256({ sub: 'guest-1', roles: ['guest'], iss: 'hotel', tenant: 't1' });
    expect(await authenticate(request(`Bearer ${token}`))).toEqual({ id: 'guest-1', roles: ['guest'] });
    expect(await authenticate(request())).toBeUndefined();
  });

  it('verifies RS256 tokens with a PEM public key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const authenticate = jwt({ publicKey: await exportSPKI(publicKey), audience: 'api' });
    const token = await new SignJWT({ sub: 'svc' })
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience('api')
      .setExpirationTime('1h')
      .sign(privateKey);
    expect(await authenticate(request(`Bearer ${token}`))).toEqual({ id: 'svc', roles: [] });
  });

  it('refuses expired, badly signed, wrong-issuer, subject-less and alg-confused tokens with UNAUTHENTICATED', async () => {
    const authenticate = jwt({ secret: SECRET, issuer: 'hotel' });
    const { privateKey } = await generateKeyPair('RS256');
    const tokens = [
      await hs256({ sub: 'u', iss: 'hotel' }, '-2m'),
      await hs256({ sub: 'u', iss: 'elsewhere' }),
      await hs256({ iss: 'hotel' }),
      `${(await hs256({ sub: 'u', iss: 'hotel' })).slice(0, -2)}xx`,
      await new SignJWT({ sub: 'u', iss: 'hotel' })
        .setProtectedHeader({ alg: 'RS256' })
        .setExpirationTime('1h')
        .sign(privateKey),
      'not.a.jwt',
    ];
    for (const token of tokens) {
      await expect(authenticate(request(`Bearer ${token}`))).rejects.toBeInstanceOf(UnauthenticatedError);
    }
  });

  it('checks its options', () => {
    expect(() => jwt({})).toThrow(/exactly one of secret/);
    expect(() => jwt({ secret: 'short' })).toThrow(/at least 32 bytes/);
    expect(() => jwt({ secret: SECRET, clockTolerance: -1 })).toThrow(/clockTolerance/);
  });

  it('answers 401 through the plugin', async () => {
    const Me = defineQuery('Me', z.object({}), z.string());
    const mediator = createMediator().query(Me, (_params, ctx) => ctx.principal?.id ?? 'anonymous');
    const app = Fastify();
    await app.register(twofoldHttp, { mediator, authenticate: jwt({ secret: SECRET }) });
    const ok = await app.inject({
      url: '/queries/Me',
      headers: { authorization: `Bearer ${await hs256({ sub: 'ada' })}` },
    });
    expect(ok.json()).toEqual({ result: 'ada' });
    const expired = await app.inject({
      url: '/queries/Me',
      headers: { authorization: `Bearer ${await hs256({ sub: 'ada' }, '-5m')}` },
    });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toMatchObject({ code: 'UNAUTHENTICATED', detail: 'The bearer token is not valid' });
    await app.close();
  });
});
