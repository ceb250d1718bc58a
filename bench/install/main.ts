// The install bench: what a new project pays to install Twofold's embedded stack (@twofold/core, @twofold/sqlite and
// @twofold/http, from tarballs packed here) beside Emmett's equivalent from the registry, in the same run. Each side
// gets a fresh project and an empty npm cache of its own, so both download, unpack and build everything; the bench
// reports the wall time of `npm install`, the size of node_modules and the number of packages in it. Twofold's
// side is installed twice: on the Node running the bench (Node 20, with better-sqlite3), and on Node 22 from
// scripts/node-versions.sh, where @twofold/sqlite runs on node:sqlite and nothing compiles. Emmett's side is
// installed on both Nodes too (emmett-sqlite needs sqlite3, a native addon, on every Node), and each Twofold column
// is divided by Emmett's on the same Node.
// TWOFOLD_BENCH_INSTALL_ROUNDS (default 1) repeats every install, each round starting with another side; the best
// round of each side counts.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

// A Node besides this one, from scripts/node-versions.sh (installed from the npm registry on first use).
async function otherNode(major: number): Promise<string> {
  const script = join(repository, 'scripts', 'node-versions.sh');
  const { stdout } = await run('bash', [script, String(major)], { cwd: repository });
  return stdout.trim();
}

// `npm install` in a fresh project; with `node`, npm itself and every install script it starts run on that Node
// (npm is a node script found through PATH, and so are the scripts it runs).
async function install(dependencies: Record<string, string>, node?: string): Promise<Install> {
  const dir = await mkdtemp(join(tmpdir(), 'twofold-bench-install-'));
  const env = node === undefined ? process.env : { ...process.env, PATH: `${dirname(node)}:${process.env.PATH}` };
  try {
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module', dependencies }),
    );
    const started = performance.now();
    await run('npm', ['install', '--cache', join(dir, '.npm-cache'), '--no-audit', '--no-fund'], {
      cwd: dir,
      env,
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

/** One column of the table: what is installed, and on which Node (undefined: the Node running the bench). */
interface Side {
  readonly label: string;
  readonly dependencies: Record<string, string>;
  readonly node?: string;
}

const packed = await pack();
// @twofold/sqlite runs on node:sqlite where Node has it (22.13 and later); before that, on better-sqlite3.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const here = { ...packed };
if (major < 22 || (major === 22 && minor < 13)) here['better-sqlite3'] = '^12.11.1';
const node22 = await otherNode(22);
const node22Version = (await run(node22, ['--version'])).stdout.trim();
const sides: Side[] = [
  { label: `Twofold, Node ${process.version}`, dependencies: here },
  { label: `Twofold, Node ${node22Version}`, dependencies: packed, node: node22 },
  { label: `Emmett, Node ${process.version}`, dependencies: EMMETT },
  { label: `Emmett, Node ${node22Version}`, dependencies: EMMETT, node: node22 },
];
console.log(`Node ${process.version} and ${node22Version}, npm ${(await run('npm', ['--version'])).stdout.trim()}`);
for (const side of sides) {
  console.log(
    `${side.label}: ${Object.entries(side.dependencies)
      .map(([name, range]) => (range.startsWith('file:') ? `${name} (packed here)` : `${name}@${range}`))
      .join(', ')}`,
  );
}
const results = sides.map(() => [] as Install[]);
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with another side, so that no side always runs first (or last) on a busy machine.
  for (let i = 0; i < sides.length; i++) {
    const index = (round + i) % sides.length;
    const side = sides[index]!;
    const result = await install(side.dependencies, side.node);
    results[index]!.push(result);
    console.log(
      `round ${round + 1}, ${side.label}: ${result.seconds.toFixed(1)} s, ${(result.bytes / 1e6).toFixed(1)} MB`,
    );
  }
}
// Each Twofold column is divided by Emmett's on the same Node.
const [t20, t22, e20, e22] = results.map(best) as [Install, Install, Install, Install];
const cells = (f: (i: Install) => number, show: (n: number) => string) =>
  `${[t20, t22, e20, e22].map((i) => show(f(i))).join(' | ')} | ${(f(t20) / f(e20)).toFixed(2)}× | ${(f(t22) / f(e22)).toFixed(2)}×`;
console.log(
  [
    '',
    `| | ${sides.map((side) => side.label).join(' | ')} | ${sides[0]!.label} / ${sides[2]!.label} | ${sides[1]!.label} / ${sides[3]!.label} |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    `| \`npm install\` time | ${cells(
      (i) => i.seconds,
      (n) => `${n.toFixed(1)} s`,
    )} |`,
    `| node_modules size | ${cells(
      (i) => i.bytes,
      (n) => `${(n / 1e6).toFixed(1)} MB`,
    )} |`,
    `| packages installed | ${cells((i) => i.packages, String)} |`,
  ].join('\n'),
);
