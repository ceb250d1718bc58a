// The packages as npm delivers them: each public package is packed once (shared with the other tests that need
// the tarballs), its tarball checked by publint and Are the Types Wrong, then the toolkit's are installed into a
// project outside the repository, where a small app runs with plain node and type-checks under NodeNext and
// Bundler resolution. create-twofold's tarball is tried in tests/create-twofold.e2e.test.ts.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, entries, hasNodeSqlite, installConsumer, runNode, typeCheck } from './packaging/consumer.js';
import { type Pack, packOnce, run, specifier } from './packaging/packs.js';
import { root } from './readme.js';

let packed: { dir: string; packs: Pack[] };
// The @twofold packages, which a project installs beside each other; create-twofold is run, not installed.
let toolkit: Pack[];
let installing: Promise<Consumer> | undefined;
let consumer: Consumer | undefined;

// The consumer's install starts as soon as the tarballs exist and runs while the tarballs are checked: most of it
// is better-sqlite3 compiling from source, on one core, as it does for a user on Node 20.
beforeAll(async () => {
  packed = await packOnce();
  toolkit = packed.packs.filter((p) => p.manifest.name.startsWith('@twofold/'));
  installing = installConsumer(toolkit);
  installing.catch(() => {}); // awaited, and reported, by the consumer tests
}, 600_000);

afterAll(async () => {
  consumer ??= await installing?.catch(() => undefined);
  if (consumer) await rm(consumer.dir, { recursive: true, force: true });
}, 900_000);

describe('each tarball', () => {
  it('holds built JavaScript and declarations for every export, a README and a LICENSE, and no tests', () => {
    expect(packed.packs.map((p) => p.manifest.name).sort()).toEqual([
      '@twofold/client',
      '@twofold/core',
      '@twofold/http',
      '@twofold/nats',
      '@twofold/postgres',
      '@twofold/redis',
      '@twofold/sqlite',
      'create-twofold',
    ]);
    for (const { manifest, files } of packed.packs) {
      if (manifest.bin !== undefined) {
        for (const target of Object.values(manifest.bin)) expect(files, manifest.name).toContain(target.slice(2));
      }
      expect(files, manifest.name).toContain('README.md');
      expect(files, manifest.name).toContain('LICENSE');
      // create-twofold's template/ is the app it writes, tests included: what must hold no tests is its own code.
      expect(
        files.filter((f) => !f.startsWith('template/') && /\.test\.|(^|\/)(tests|fixtures)\//.test(f)),
        manifest.name,
      ).toEqual([]);
      for (const [subpath, conditions] of Object.entries(manifest.exports ?? {})) {
        const entry = specifier(manifest, subpath);
        expect(Object.keys(conditions), entry).toEqual(['@twofold/source', 'types', 'import', 'default']);
        for (const target of Object.values(conditions)) expect(files, entry).toContain(target.slice(2));
      }
    }
  });

  it('passes publint in strict mode, suggestions included', async () => {
    for (const { manifest, tarball } of packed.packs) {
      const pkg = JSON.parse(JSON.stringify(manifest));
      const { messages } = await publint({
        pack: { tarball: (await readFile(tarball)).buffer as ArrayBuffer },
        level: 'suggestion',
        strict: true,
      });
      expect(
        messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`),
        manifest.name,
      ).toEqual([]);
    }
  }, 300_000);

  // ESM only: every package is `"type": "module"` with `import` and `default` conditions and no CommonJS build,
  // so the esm-only profile leaves out the two resolutions that cannot load it as CommonJS (node10, and node16
  // from a `require`) and checks every other one: node16 from ESM and bundler.
  it('passes Are the Types Wrong with the esm-only profile', async () => {
    const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    for (const { manifest, tarball } of toolkit) {
      await run(
        process.execPath,
        [attw, tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii', '--no-color'],
        {
          cwd: root,
        },
      ).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`attw finds problems in ${manifest.name}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      });
    }
  }, 300_000);
});

describe('a project outside the repository with the tarballs installed', () => {
  beforeAll(async () => {
    if (!installing) throw new Error('the tarballs were not packed');
    consumer = await installing;
    console.log(
      `npm install of the tarballs on Node ${process.version} took ${(consumer.installMs / 1000).toFixed(1)} s`,
    );
    // Type-checks the consumer's code under NodeNext and emits the JavaScript the tests below run.
    await typeCheck(consumer, 'NodeNext');
  }, 900_000);

  // On Node 22.13 and later @twofold/sqlite runs on node:sqlite, so the install builds nothing; before, the user
  // installs better-sqlite3 beside it, and that is the one package that compiles.
  it(
    hasNodeSqlite()
      ? 'compiles nothing on install: better-sqlite3 is neither asked for nor installed'
      : 'compiles better-sqlite3 alone on install, the driver @twofold/sqlite needs on this Node',
    () => {
      if (!consumer) throw new Error('no consumer project');
      expect(consumer.compiled).toEqual(hasNodeSqlite() ? [] : ['better-sqlite3']);
    },
  );

  it('runs the app with plain node: an account on SQLite, read-your-writes, HTTP through the client, twofold()', async () => {
    if (!consumer) throw new Error('no consumer project');
    const output = await runNode(consumer, 'app.js', join(consumer.dir, 'data'));
    expect(output.trim().split('\n')).toEqual([
      'in process: 2 30',
      'over HTTP: 3 42',
      'refused: NOT_OPEN',
      'twofold(): 2 5',
    ]);
  }, 300_000);

  it('type-checks under Bundler resolution', async () => {
    if (!consumer) throw new Error('no consumer project');
    await typeCheck(consumer, 'Bundler');
  }, 300_000);

  it('imports every exports entry of every package, and each one exports something', async () => {
    if (!consumer) throw new Error('no consumer project');
    const lines = (await runNode(consumer, 'entries.js')).trim().split('\n');
    const names = entries(toolkit);
    expect(lines.map((line) => line.split(' ')[0])).toEqual(names);
    for (const line of lines) expect(Number(line.split(' ')[1]), line).toBeGreaterThan(0);
  }, 300_000);
});
