import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { root } from '../readme.js';

export const run = promisify(execFile);

/** What the tests read of a package's manifest. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  /** Absent from a package that is only a command, such as create-twofold. */
  exports?: Record<string, Record<string, string>>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** One packed package: its manifest, its tarball and the files in it. */
export interface Pack {
  dir: string;
  manifest: Manifest;
  tarball: string;
  files: string[];
}

/** Every package under packages/ that is not private: the ones a user installs. */
export function publicPackages(): { dir: string; manifest: Manifest }[] {
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest }))
    .filter(({ manifest }) => !manifest.private);
}

/** `@twofold/core` for `.`, `@twofold/core/testing` for `./testing`. */
export function specifier(manifest: Manifest, subpath: string): string {
  return subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
}

/**
 * Packs every public package with `npm pack` (which builds each one on `prepack`) into a fresh folder outside the
 * repository, in one npm call so the builds run one after another.
 */
export async function packAll(dir?: string): Promise<{ dir: string; packs: Pack[] }> {
  dir ??= await mkdtemp(join(tmpdir(), 'twofold-packs-'));
  const packages = publicPackages();
  const workspaces = packages.flatMap(({ dir: pkg }) => ['--workspace', pkg]);
  const { stdout } = await run('npm', ['pack', ...workspaces, '--pack-destination', dir, '--json'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`npm pack failed:\n${error.stderr ?? ''}\n${error.stdout ?? String(error)}`);
  });
  const reports = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[];
  const packs = packages.map(({ dir: pkg, manifest }) => {
    const report = reports.find((r) => r.name === manifest.name);
    if (!report) throw new Error(`npm pack did not pack ${manifest.name}`);
    return { dir: pkg, manifest, tarball: join(dir, report.filename), files: report.files.map((f) => f.path) };
  });
  return { dir, packs };
}

// What the tarballs are made of: every file of the public packages but what a build or an install writes, and the
// repository files their builds read.
function sourcesKey(): string {
  const hash = createHash('sha256');
  const add = (file: string) =>
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update('\0');
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!['node_modules', 'dist', 'data'].includes(entry.name)) walk(path);
      } else if (!entry.name.endsWith('.tsbuildinfo')) add(path);
    }
  };
  for (const { dir } of publicPackages()) walk(`packages/${dir.split('/').pop()}`);
  for (const file of ['tsconfig.base.json', 'package-lock.json', 'LICENSE']) add(file);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The tarballs of every public package, packed once for the sources they are made of: the first caller packs
 * them into a folder named after a hash of those sources, and every other caller, in this run's other test files
 * or a later run of unchanged sources, reads them from there. A folder being packed is marked by a lock folder,
 * which the other callers wait on; an older set of tarballs is removed after a day.
 */
export async function packOnce(): Promise<{ dir: string; packs: Pack[] }> {
  const dir = join(tmpdir(), `twofold-packs-${sourcesKey()}`);
  const index = join(dir, 'packs.json');
  const lock = `${dir}.lock`;
  for (const started = Date.now(); Date.now() - started < 900_000; ) {
    const packed = await readFile(index, 'utf8').catch(() => undefined);
    if (packed !== undefined) return { dir, packs: JSON.parse(packed) as Pack[] };
    const mine = await mkdir(lock).then(
      () => true,
      () => false,
    );
    if (mine) {
      try {
        await prune();
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir);
        const { packs } = await packAll(dir);
        await writeFile(`${index}.part`, JSON.stringify(packs));
        await rename(`${index}.part`, index);
        return { dir, packs };
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
    }
    // Another test file packs these sources: its tarballs are ready when its index appears.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`The tarballs in ${dir} were not packed within 15 minutes (a stale ${lock}?)`);
}

async function prune(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!/^twofold-packs-[0-9a-f]{16}$/.test(name)) continue;
    const path = join(tmpdir(), name);
    const { mtimeMs } = await stat(path);
    if (Date.now() - mtimeMs > 86_400_000) await rm(path, { recursive: true, force: true });
  }
}
