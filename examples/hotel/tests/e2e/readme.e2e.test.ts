// The hotel's README, as a reader uses it: `src/main.ts` started with environment variables, and the curl
// example of the sign-in run by bash against it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, expect, it } from 'vitest';

const hotelDir = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-readme-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  readonly port: number | undefined;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

// Resolves with the port once the server says where it listens, or with none if it exits first.
function startMain(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--conditions=@twofold/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: hotelDir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const result = (port: number | undefined): Started => ({
    port,
    exited,
    stderr: () => errors,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  });
  return new Promise((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const port = /^Twofold Hotel: http:\/\/localhost:(\d+)/.exec(line)?.[1];
      if (port !== undefined) resolve(result(Number(port)));
    });
    void exited.then(() => resolve(result(undefined)));
  });
}

it('signs in and books as its curl example says, with the tokens signed by JWT_SECRET', async () => {
  const readme = readFileSync(join(hotelDir, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('/session'));
  expect(block).toBeDefined();
  const secret = 'the-secret-of-this-whole-deployment';
  const main = await startMain({ JWT_SECRET: secret });
  expect(main.port, main.stderr()).toBeDefined();
  try {
    const token = await new SignJWT({ roles: ['manager'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ops')
      .setIssuer('twofold-hotel')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(secret));
    const events = await fetch(`http://127.0.0.1:${main.port}/api/queries/hotel.RecentEvents`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(events.status).toBe(200);
    const script = block!.replaceAll('localhost:3000', `127.0.0.1:${main.port}`);
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], { timeout: 30_000 });
    expect(stdout).toMatch(/^\{"result":\[.*"roomId":"102"/);
    expect(stdout).toContain('{"result":{"bookingId":"b-1","total":160},"position":');
    expect(stdout).toMatch(
      /\{"result":\{"items":\[[^\]]*"bookingId":"b-1","roomId":"102","roomNumber":"102"[^\]]*"guestId":"ada"/,
    );
    // Confirmed by the example's hotel.ConfirmBooking: no longer held.
    expect(stdout).toMatch(/"bookingId":"b-1"[^}]*"status":"booked"/);
    expect(stdout).toMatch(/"bookingId":"b-1"[^}]*"heldUntil":null/);
    // The queued booking of "Queued commands and worker processes", after the sign-in that gives it its token.
    const queued = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.includes('respond-async'));
    expect(queued).toBeDefined();
    const both = `${script}\n${queued!.replaceAll('localhost:3000', `127.0.0.1:${main.port}`)}`;
    const accepted = (await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', both], { timeout: 30_000 })).stdout;
    expect(accepted).toMatch(/HTTP\/1\.1 202 Accepted\r$/m);
    expect(accepted).toMatch(/^preference-applied: respond-async\r$/m);
    expect(accepted).toMatch(/^location: \/api\/commands\/status\/[\w-]+\r$/m);
    expect(accepted).toMatch(/\{"id":"[\w-]+","status":"queued"\}$/);
  } finally {
    await main.stop();
  }
});

it('stops at start with an error naming HOLD_MINUTES when it is not a number of minutes above 0', async () => {
  const main = await startMain({ HOLD_MINUTES: 'soon' });
  expect(main.port).toBeUndefined();
  expect(await main.exited).not.toBe(0);
  expect(main.stderr()).toContain('HOLD_MINUTES must be a number of minutes above 0, such as 15 or 0.5; got "soon"');
});

it('takes an external issuer from JWT_PUBLIC_KEY and JWT_ISSUER, and then has no demo sign-in', async () => {
  const { publicKey } = await generateKeyPair('RS256');
  const pem = (await exportSPKI(publicKey)).replaceAll('\n', '\\n');
  const lacking = await startMain({ JWT_PUBLIC_KEY: pem });
  expect(lacking.port).toBeUndefined();
  expect(await lacking.exited).not.toBe(0);
  expect(lacking.stderr()).toContain('JWT_PUBLIC_KEY needs JWT_ISSUER');

  const main = await startMain({ JWT_PUBLIC_KEY: pem, JWT_ISSUER: 'https://id.example' });
  expect(main.port, main.stderr()).toBeDefined();
  try {
    const session = await fetch(`http://127.0.0.1:${main.port}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user":"ada","role":"guest"}',
    });
    expect(session.status).toBe(404);
    const mine = await fetch(`http://127.0.0.1:${main.port}/api/queries/hotel.GuestBookings?guestId=ada`);
    expect(mine.status).toBe(401);
  } finally {
    await main.stop();
  }
});
