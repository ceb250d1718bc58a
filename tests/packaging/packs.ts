import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
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
  exports: Record<string, Record<string, string>>;
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
export async function packAll(): Promise<{ dir: string; packs: Pack[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'twofold-packs-'));
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
