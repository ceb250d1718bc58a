import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { root } from './readme.js';

const run = promisify(execFile);

interface Manifest {
  name: string;
  exports: Record<string, { types: string; import: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

// Packages in dependency order: a package builds after the workspace packages it depends on, peers included.
function packages(): { dir: string; manifest: Manifest }[] {
  const all = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'tsconfig.build.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest }));
  const ordered: typeof all = [];
  const visit = (pkg: (typeof all)[number]) => {
    if (ordered.includes(pkg)) return;
    for (const dep of Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies })) {
      const inner = all.find((p) => p.manifest.name === dep);
      if (inner) visit(inner);
    }
    ordered.push(pkg);
  };
  all.forEach(visit);
  return ordered;
}

describe('published build', () => {
  it('builds every package to JS and .d.ts that load through the exports map without the source condition', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const built = packages();
    expect(built.map((p) => p.manifest.name)).toContain('@twofold/core');
    for (const { dir, manifest } of built) {
      await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json')], { cwd: dir }).catch(
        (error: { stdout?: string }) => {
          throw new Error(`${manifest.name} does not build:\n${error.stdout ?? String(error)}`);
        },
      );
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        expect(existsSync(join(dir, target.import)), `${manifest.name} ${subpath}: ${target.import}`).toBe(true);
        expect(existsSync(join(dir, target.types)), `${manifest.name} ${subpath}: ${target.types}`).toBe(true);
        const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
        const { stdout } = await run(
          process.execPath,
          ['--input-type=module', '-e', `const m = await import('${specifier}'); console.log(Object.keys(m).length);`],
          { cwd: root },
        );
        expect(Number(stdout.trim()), `${specifier} exports something`).toBeGreaterThan(0);
      }
    }
  }, 180_000);
});
