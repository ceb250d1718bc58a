// The install bench: what a new project pays to install Twofold's embedded stack (@twofold/core, @twofold/sqlite and
// @twofold/http, from tarballs packed here) beside Emmett's equivalent from the registry, in the same run. Each side
// gets a fresh project and an empty npm cache of its own, so both download, unpack and build everything; the bench
// reports the wall time of `npm install`, the size of node_modules and the number of packages in it.
// TWOFOLD_BENCH_INSTALL_ROUNDS (default 1) repeats both installs, alternating which goes first; the best round counts.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROUNDS = Number(process.env.TWOFOLD_BENCH_INSTALL_ROUNDS ?? 1);
const repository = fileURLToPath(new URL('../..', import.meta.url));

// Emmett's SQLite pair is pinned to 0.38.5, the newest release of @event-driven-io/emmett and emmett-sqlite that
// the registry serves together (bench/setup.sh says more). @event-driven-io/emmett-fastify is not on the registry
// this machine reaches, so Emmett's side installs the peers it declares in its place (fastify, @fastify/compress,
// @fastify/etag, @fastify/formbody, close-with-grace): everything it brings but its own few files.
const EMMETT = {
  '@event-driven-io/emmett': '0.38.5',
  '@event-driven-io/emmett-sqlite': '0.38.5',
  fastify: '^5.8.5',
  '@fastify/compress': '^8.3.1',
  '@fastify/etag': '^6.1.0',
  '@fastify/formbody': '^8.0.2',
  'close-with-grace': '^2.5.0',
};

interface Install {
  seconds: number;
  bytes: number;
  packages: number;
}

async function pack(): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'twofold-bench-packs-'));
  const names = ['core', 'sqlite', 'http'];
  const workspaces = names.flatMap((name) => ['--workspace', `packages/${name}`]);
  const { stdout } = await run('npm', ['pack', ...workspaces, '--pack-destination', dir, '--json'], {
    cwd: repository,
    maxBuffer: 64 * 1024 * 1024,
  });
  const reports = JSON.parse(stdout) as { name: string; filename: string }[];
  return Object.fromEntries(reports.map((r) => [r.name, `file:${join(dir, r.filename)}`]));
}

// Apparent size of every file under dir, as `du --apparent-size -b` counts it.
async function size(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await size(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

async function install(dependencies: Record<string, string>): Promise<Install> {
  const dir = await mkdtemp(join(tmpdir(), 'twofold-bench-install-'));
  try {
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }),
    );
    const started = performance.now();
    await run('npm', ['install', '--cache', join(dir, '.npm-cache'), '--no-audit', '--no-fund'], {
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = (performance.now() - started) / 1000;
    const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as { packages: object };
    return { seconds, bytes: await size(join(dir, 'node_modules')), packages: Object.keys(lock.packages).length - 1 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const best = (rounds: Install[]): Install => rounds.reduce((a, b) => (b.seconds < a.seconds ? { ...b } : a));

const twofold = await pack();
// @twofold/sqlite runs on node:sqlite where Node has it (22.13 and later); before that, on better-sqlite3.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) twofold['better-sqlite3'] = '^12.11.1';
console.log(`Node ${process.version}, npm ${(await run('npm', ['--version'])).stdout.trim()}`);
console.log(`Twofold: ${Object.keys(twofold).join(', ')} (packed here)`);
console.log(
  `Emmett:  ${Object.entries(EMMETT)
    .map(([name, range]) => `${name}@${range}`)
    .join(', ')}`,
);
const results = { twofold: [] as Install[], emmett: [] as Install[] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (['twofold', 'emmett'] as const) : (['emmett', 'twofold'] as const);
  for (const side of order) {
    const result = await install(side === 'twofold' ? twofold : EMMETT);
    results[side].push(result);
    console.log(`round ${round + 1}, ${side}: ${result.seconds.toFixed(1)} s, ${(result.bytes / 1e6).toFixed(1)} MB`);
  }
}
const t = best(results.twofold);
const e = best(results.emmett);
const row = (what: string, ours: string, theirs: string, ratio: number) =>
  `| ${what} | ${ours} | ${theirs} | ${ratio.toFixed(2)}× |`;
console.log(['', '| | Twofold | Emmett | Twofold / Emmett |', '|---|---:|---:|---:|'].join('\n'));
console.log(row('`npm install` time', `${t.seconds.toFixed(1)} s`, `${e.seconds.toFixed(1)} s`, t.seconds / e.seconds));
console.log(
  row('node_modules size', `${(t.bytes / 1e6).toFixed(1)} MB`, `${(e.bytes / 1e6).toFixed(1)} MB`, t.bytes / e.bytes),
);
console.log(row('packages installed', `${t.packages}`, `${e.packages}`, t.packages / e.packages));
