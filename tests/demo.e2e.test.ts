// `npm start` runs the hotel: it prints its URL, answers over HTTP with the demo data seeded, stops cleanly on
// SIGTERM, and seeds nothing twice when started again on the same data directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { root } from './readme.js';

const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

async function start(): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--conditions=@twofold/source', '--import', 'tsx', join(root, 'examples', 'hotel', 'src', 'main.ts')],
    { cwd: root, env: { ...process.env, PORT: '0', DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s:\n${output}`)), 30_000);
    child.stdout?.on('data', () => {
      const found = /Twofold Hotel: (http:\/\/localhost:\d+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function stop({ child, output }: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  const code = await exited;
  expect(output()).toContain('stopped');
  return code;
}

// The demo sign-in: a manager may read the occupancy and the event log.
async function managerToken(url: string): Promise<{ authorization: string }> {
  const response = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'grace', role: 'manager' }),
  });
  expect(response.status).toBe(200);
  const { token } = (await response.json()) as { token: string };
  return { authorization: `Bearer ${token}` };
}

async function lastPosition(url: string): Promise<number> {
  const response = await fetch(`${url}/api/queries/hotel.RecentEvents?limit=1`, {
    headers: await managerToken(url),
  });
  const { result } = (await response.json()) as { result: { items: { position: number }[] } };
  return result.items[0]!.position;
}

it('starts the hotel with its demo data, stops on SIGTERM, and seeds only once', async () => {
  const first = await start();
  const occupancy = await fetch(
    `${first.url}/api/queries/hotel.Occupancy?date=${new Date().toISOString().slice(0, 10)}`,
    { headers: await managerToken(first.url) },
  );
  expect(occupancy.status).toBe(200);
  const { result } = (await occupancy.json()) as { result: { rooms: number; occupied: number } };
  expect(result).toMatchObject({ rooms: 6, occupied: 2 });
  const seeded = await lastPosition(first.url);
  expect(await stop(first)).toBe(0);

  const second = await start();
  expect(await lastPosition(second.url)).toBe(seeded);
  expect(await stop(second)).toBe(0);
});
