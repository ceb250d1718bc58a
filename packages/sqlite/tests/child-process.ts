import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, runTypeScript } from '@twofold/test-servers';

export type { Child };

/** Runs one of this package's test fixtures in a real child process. */
export function runFixture(name: string, args: readonly string[]): Child {
  return runTypeScript(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', name), args);
}
