// The API reference (TypeDoc, configured in typedoc.config.js) builds from the sources of every public package
// without a warning: every export the reference shows has a doc comment, and no public signature names a type
// the package does not export.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, TypeDocReader } from 'typedoc';
import { describe, expect, it } from 'vitest';
import { publicPackages, run, specifier } from './packaging/packs.js';
import { root } from './readme.js';

const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');

// The options as TypeDoc resolves them from typedoc.config.js, without converting anything.
async function resolvedOptions() {
  const app = await Application.bootstrap({ options: join(root, 'typedoc.config.js') }, [new TypeDocReader()]);
  return {
    entryPoints: app.options.getValue('entryPoints'),
    packagesRequiringDocumentation: app.options.getValue('packagesRequiringDocumentation'),
    validation: app.options.getValue('validation'),
    treatWarningsAsErrors: app.options.getValue('treatWarningsAsErrors'),
  };
}

describe('the API reference', () => {
  it('covers every exports entry of every public package, with the checks for undocumented and unexported types on', async () => {
    const options = await resolvedOptions();
    // create-twofold is a command: it exports nothing to document.
    const libraries = publicPackages().filter(({ manifest }) => manifest.exports !== undefined);
    const expected = libraries.flatMap(({ dir, manifest }) =>
      Object.entries(manifest.exports ?? {}).map(([subpath, conditions]) => {
        const source = conditions['@twofold/source'];
        if (!source) throw new Error(`${specifier(manifest, subpath)} has no @twofold/source condition`);
        return join(dir, source);
      }),
    );
    expect(options.entryPoints.sort()).toEqual(expected.sort());
    expect(options.packagesRequiringDocumentation.sort()).toEqual(libraries.map((p) => p.manifest.name).sort());
    expect(options.validation).toMatchObject({ notDocumented: true, notExported: true });
    expect(options.treatWarningsAsErrors).toBe(true);
  });

  it('builds from the sources without a warning: no undocumented export, no unexported type in a public signature', async () => {
    const out = await mkdtemp(join(tmpdir(), 'twofold-api-'));
    try {
      const result = await run(process.execPath, [typedoc, '--out', out, '--logLevel', 'Warn'], {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1' },
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string }) => ({
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }));
      // One line per symbol, e.g. "core/src.DeadLetter.id (Property), defined in …, does not have any documentation".
      const warnings = `${result.stdout}\n${result.stderr}`
        .split('\n')
        .filter((line) => /^\[(warning|error)\]/.test(line) && !/^\[(warning|error)\] Found \d+ errors/.test(line));
      expect(warnings).toEqual([]);
      expect(existsSync(join(out, 'index.html'))).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 600_000);
});
