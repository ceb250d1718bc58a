// Who may call the hotel: the demo sign-in, the tokens it signs, an external issuer instead of it, and several
// processes of one deployment that accept each other's tokens (two apps on one SQLite directory, on one
// PostgreSQL schema).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { decodeJwt, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App, AppOptions } from '../../src/app/server.js';
import { HOTEL_ISSUER, TOKEN_LIFETIME_SECONDS } from '../../src/identity/identity.js';
import { bearer, signIn, startHotel } from './setup.js';

const dirs: string[] = [];
const apps: App[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'twofold-hotel-identity-'));
  dirs.push(dir);
  return dir;
}
async function start(options: AppOptions = {}): Promise<App> {
  const app = await startHotel(options);
  apps.push(app);
  return app;
}
afterAll(async () => {
  for (const app of apps) await app.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ask = (app: App, type: string, token?: string, search = '') =>
  app.server.inject({ url: `/api/queries/hotel.${type}${search}`, headers: token === undefined ? {} : bearer(token) });

describe('the demo sign-in', () => {
  let app: App;
  beforeAll(async () => {
    app = await start();
  });

  it('signs a token for a user in a role: its subject, its role, the hotel as issuer, and an expiry', async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(await signIn(app, 'ada', 'guest'));
    expect(claims).toMatchObject({ sub: 'ada', roles: ['guest'], iss: HOTEL_ISSUER });
    expect(claims.exp! - claims.iat!).toBe(TOKEN_LIFETIME_SECONDS);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
  });

  it('is described in the OpenAPI document, with the bearer scheme', async () => {
    const document = (await app.server.inject('/api/openapi.json')).json();
    expect(document.info.description).toContain('POST /api/session with {"user": "ada", "role": "guest"}');
    expect(document.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
  });

  it('refuses an unknown role, a missing or blank user and control characters with 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ user: 'ada', role: 'admin' }, 'role'],
      [{ role: 'guest' }, 'user'],
      [{ user: '   ', role: 'guest' }, 'user'],
      [{ user: 'a\u0000b', role: 'guest' }, 'user'],
      [{ user: 'x'.repeat(65), role: 'manager' }, 'user'],
    ];
    for (const [payload, field] of cases) {
      const response = await app.server.inject({ method: 'POST', url: '/api/session', payload: payload as object });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: [field] }] });
    }
    const notJson = await app.server.inject({
      method: 'POST',
      url: '/api/session',
      headers: { 'content-type': 'application/json' },
      payload: '{"user":',
    });
    expect([notJson.statusCode, notJson.json().code]).toEqual([400, 'MALFORMED_REQUEST']);
  });

  it('answers 401 to a token that is forged, expired, from another issuer or not a bearer token', async () => {
    const token = await signIn(app, 'mia', 'manager');
    expect((await ask(app, 'RecentEvents', token)).statusCode).toBe(200);
    const [header, payload] = token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'eve' })).toString('base64url');
    const forged = `${header}.${forgedClaims}.${token.split('.')[2]}`;
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    for (const bad of [forged, unsigned, 'not-a-jwt']) {
      const response = await ask(app, 'RecentEvents', bad);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    const basic = await app.server.inject({
      url: '/api/queries/hotel.RecentEvents',
      headers: { authorization: 'Basic bWlhOm1pYQ==' },
    });
    expect(basic.statusCode).toBe(401);
  });
});

describe('a deployment configured with a secret', () => {
  const secret = 'a-deployment-secret-of-32-chars!';
  const sign = (claims: Record<string, unknown>, expires: string | number = '1h') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(HOTEL_ISSUER)
      .setSubject('ada')
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(new TextEncoder().encode(secret));

  it('shares it between processes, whatever their stores; roles it does not know grant nothing', async () => {
    const [one, two] = [await start({ identity: { secret } }), await start({ identity: { secret } })];
    const token = await signIn(one, 'mia', 'manager');
    expect((await ask(two, 'RecentEvents', token)).statusCode).toBe(200);

    const admin = await sign({ roles: ['admin', 'root'] });
    expect((await ask(one, 'RecentEvents', admin)).statusCode).toBe(403);
    expect((await ask(one, 'FreeRooms', admin, '?from=2030-03-02&to=2030-03-03')).statusCode).toBe(200);
    expect((await ask(one, 'GuestBookings', await sign({ roles: ['guest'] }), '?guestId=ada')).statusCode).toBe(200);
    const expired = await sign({ roles: ['guest'] }, Math.floor(Date.now() / 1000) - 60);
    expect((await ask(one, 'GuestBookings', expired, '?guestId=ada')).statusCode).toBe(401);
  });
});

describe('an external issuer', () => {
  it('replaces the demo sign-in: /api/session is 404, and only that issuer’s tokens are accepted', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const issuer = 'https://id.example';
    const app = await start({ identity: { publicKey: await exportSPKI(publicKey), issuer, audience: 'hotel' } });
    const session = await app.server.inject({
      method: 'POST',
      url: '/api/session',
      payload: { user: 'ada', role: 'guest' },
    });
    expect(session.statusCode).toBe(404);
    const document = (await app.server.inject('/api/openapi.json')).json();
    expect(document.info.description).not.toContain('/api/session');

    const sign = (iss: string) =>
      new SignJWT({ roles: ['guest'] })
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject('ada')
        .setIssuer(iss)
        .setAudience('hotel')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);
    expect((await ask(app, 'GuestBookings', await sign(issuer), '?guestId=ada')).statusCode).toBe(200);
    expect((await ask(app, 'GuestBookings', await sign(issuer), '?guestId=grace')).statusCode).toBe(403);
    expect((await ask(app, 'GuestBookings', await sign('https://evil.example'), '?guestId=ada')).statusCode).toBe(401);
    const demo = await start();
    expect((await ask(app, 'GuestBookings', await signIn(demo, 'ada', 'guest'), '?guestId=ada')).statusCode).toBe(401);
  });
});

describe('several processes on one database', () => {
  let postgres: PostgresServer;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  const deployments: { on: string; options: () => AppOptions }[] = [
    { on: 'one SQLite directory', options: () => ({ dataDir: dataDir() }) },
    { on: 'one PostgreSQL schema', options: () => ({ postgres: { url: postgres.url, schema: 'shared' } }) },
  ];

  it.each(deployments)(
    'accept each other’s tokens on $on, across a restart, and refuse another deployment’s',
    async ({ options }) => {
      const config = options();
      // Closed here, before the database server stops.
      const opened: App[] = [];
      const open = async (more: AppOptions = {}) => {
        const app = await startHotel({ ...config, ...more });
        opened.push(app);
        return app;
      };
      try {
        const first = await open();
        const second = await open({ seed: false });
        const token = await signIn(first, 'mia', 'manager');
        expect((await ask(second, 'RecentEvents', token)).statusCode).toBe(200);
        expect((await ask(first, 'RecentEvents', await signIn(second, 'mia', 'manager'))).statusCode).toBe(200);

        await first.close();
        const restarted = await open({ seed: false });
        expect((await ask(restarted, 'RecentEvents', token)).statusCode).toBe(200);

        const elsewhere = await start({ dataDir: dataDir() });
        expect((await ask(elsewhere, 'RecentEvents', token)).statusCode).toBe(401);
      } finally {
        for (const app of opened) await app.close();
      }
    },
  );
});
