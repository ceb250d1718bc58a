// `npm create twofold` as a user runs it: create-twofold installed from its tarball into a folder of its own
// outside the repository, as `npm create` does, and its bin run against the packed toolkit. The app it writes
// installs with plain `npm install`, passes its own `npm test`, and serves over HTTP under `npm start` until SIGTERM.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { HEADERS } from '@twofold/core/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRange } from './packaging/consumer.js';
import { type Pack, packOnce, run } from './packaging/packs.js';

let packed: { dir: string; packs: Pack[] };
let tmp: string;
let bin: string;

// The children run as a user's would: without the variables of this test run.
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(VITEST|NODE_ENV$|NODE_OPTIONS$|npm_(lifecycle|package)_)/.test(name),
    ),
  ),
  ...extra,
});

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: env(), maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(
        `npm ${args.join(' ')} failed in ${cwd}:\n${error.stderr ?? ''}\n${error.stdout ?? String(error)}`,
      );
    },
  );
  return stdout;
}

// create-twofold's bin, with the toolkit's tarballs in place of the registry's packages.
const create = (...args: string[]) => run(bin, args, { cwd: tmp, env: env({ CREATE_TWOFOLD_PACKAGES: packed.dir }) });

beforeAll(async () => {
  packed = await packOnce();
  tmp = await mkdtemp(join(tmpdir(), 'twofold-create-'));
  const tarball = packed.packs.find((p) => p.manifest.name === 'create-twofold')?.tarball;
  if (tarball === undefined) throw new Error('create-twofold was not packed');
  const runner = join(tmp, 'runner');
  await mkdir(runner);
  await writeFile(join(runner, 'package.json'), JSON.stringify({ private: true }));
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], runner);
  bin = join(runner, 'node_modules', '.bin', 'create-twofold');
}, 900_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('npm create twofold', () => {
  it('prints its usage and its version, and refuses a directory that is not empty, writing nothing', async () => {
    expect((await create('--help')).stdout).toContain('Usage: npm create twofold@latest [directory]');
    const version = packed.packs.find((p) => p.manifest.name === 'create-twofold')?.manifest.version;
    expect((await create('--version')).stdout).toBe(`${version}\n`);
    const taken = join(tmp, 'taken');
    await mkdir(taken);
    await writeFile(join(taken, 'notes.txt'), 'mine');
    const refused = await create('taken').then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain('taken is not empty (it holds notes.txt); nothing was written.');
    expect(await readdir(taken)).toEqual(['notes.txt']);
  });

  it('writes an app whose npm test passes and whose npm start serves commands and read-your-writes queries until SIGTERM', async () => {
    expect((await create('my-app')).stdout).toContain('npm install && npm start');
    const app = join(tmp, 'my-app');
    const manifest = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const ranges = { ...manifest.dependencies, ...manifest.devDependencies };
    for (const [name, range] of Object.entries(ranges)) {
      const pack = packed.packs.find((p) => p.manifest.name === name);
      // The toolkit from its tarballs; the rest at the ranges the repository tests with.
      expect(range, name).toBe(pack ? `file:${pack.tarball}` : repositoryRange(packed.packs, name));
    }
    expect(Object.keys(ranges)).toContain('@twofold/sqlite');

    await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    expect(stripVTControlCharacters(await npm(['test'], app))).toMatch(/Tests\s+7 passed \(7\)/);

    const server = spawn('npm', ['start'], { cwd: app, env: env({ PORT: '0' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        output += chunk;
        const found = /listening on (http:\/\/\S+)/.exec(output);
        if (found?.[1] !== undefined) resolve(found[1]);
      };
      server.stdout.on('data', read);
      server.stderr.on('data', read);
      void exited.then((code) => reject(new Error(`npm start ended (${code}) before listening:\n${output}`)));
    });
    try {
      const added = await fetch(`${url}/commands/todo.AddTask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ taskId: 't1', title: 'Ship it' }),
      });
      // The session of the app's README.
      expect(await added.json()).toEqual({ result: null, position: 1 });
      const tasks = await fetch(`${url}/queries/todo.Tasks`, { headers: { [HEADERS.after]: '1' } });
      expect(await tasks.json()).toEqual({ result: [{ taskId: 't1', title: 'Ship it', done: false }] });
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
    expect(output).toContain('closing');
    expect((await stat(join(app, 'data', 'app.db'))).isFile()).toBe(true);
  }, 900_000);
});
