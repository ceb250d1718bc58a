// create() on real folders: what it writes, and what it refuses without writing anything.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { create, VERSION } from './create.js';
import { UsageError } from './options.js';

const tmp = mkdtempSync(join(tmpdir(), 'create-twofold-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

describe('create', () => {
  it("writes the template with a package.json on the registry's @twofold packages of its own version", async () => {
    const { dir, name } = await create({ directory: 'Todo App', cwd: tmp, node: '24.0.0' });
    expect(name).toBe('todo-app');
    expect(readdirSync(dir).sort()).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'src',
      'tests',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# todo-app\n/);
    const manifest = manifestOf(dir);
    expect(manifest.name).toBe('todo-app');
    expect(manifest.dependencies['@twofold/core']).toBe(`^${VERSION}`);
    expect(manifest.dependencies['better-sqlite3']).toBeUndefined();
  });

  it('adds better-sqlite3 on a Node without node:sqlite', async () => {
    const { dir } = await create({ directory: 'on-node-20', cwd: tmp, node: '20.19.0' });
    expect(manifestOf(dir).dependencies['better-sqlite3']).toMatch(/^\^12\./);
    expect(manifestOf(dir).allowScripts).toEqual({ 'better-sqlite3': true });
  });

  it('depends on the tarballs of a packages folder, and writes nothing when one is missing', async () => {
    const packs = join(tmp, 'packs');
    mkdirSync(packs);
    for (const name of ['core', 'http']) writeFileSync(join(packs, `twofold-${name}-${VERSION}.tgz`), '');
    await expect(create({ directory: 'local', cwd: tmp, packages: packs })).rejects.toThrow(
      `The @twofold tarballs are missing: ${join(packs, `twofold-sqlite-${VERSION}.tgz`)}`,
    );
    expect(readdirSync(tmp)).not.toContain('local');
    writeFileSync(join(packs, `twofold-sqlite-${VERSION}.tgz`), '');
    const { dir } = await create({ directory: 'local', cwd: tmp, packages: packs });
    expect(manifestOf(dir).dependencies['@twofold/http']).toBe(`file:${join(packs, `twofold-http-${VERSION}.tgz`)}`);
  });

  it('refuses a directory that is not empty, or a file, and leaves it as it was', async () => {
    const taken = join(tmp, 'taken');
    mkdirSync(taken);
    for (const file of ['a', 'b', 'c', 'd', 'e']) writeFileSync(join(taken, file), file);
    const refused = create({ directory: 'taken', cwd: tmp });
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow('taken is not empty (it holds a, b, c, and 2 more); nothing was written.');
    expect(readdirSync(taken)).toEqual(['a', 'b', 'c', 'd', 'e']);
    writeFileSync(join(tmp, 'file'), 'x');
    await expect(create({ directory: 'file', cwd: tmp })).rejects.toThrow('file exists and is not a directory');
    mkdirSync(join(tmp, 'empty'));
    await expect(create({ directory: 'empty', cwd: tmp })).resolves.toMatchObject({ name: 'empty' });
  });
});
