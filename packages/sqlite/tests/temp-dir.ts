import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temporary folder for one test file's databases, removed after the file's tests; `file()` names a new file in it. */
export function tempDir(prefix = 'twofold-sqlite-'): { readonly dir: string; file(name?: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  return { dir, file: (name = 'db') => join(dir, `${name}-${++count}.db`) };
}
