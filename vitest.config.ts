import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { loadBetterSqlite3 } from './packages/sqlite/src/driver/better-sqlite3.js';
import type { SqliteDriverName } from './packages/sqlite/src/driver/connection.js';
import { loadNodeSqlite } from './packages/sqlite/src/driver/node-sqlite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The driver the SQLite package's stores open with when a test names none. */
    sqliteDriver: SqliteDriverName;
  }
}

// The SQLite package's tests run once per driver that loads here: better-sqlite3 on Node 20 (its binary is built
// for the Node that installed it), node:sqlite on Node 22.13 and later.
const drivers: SqliteDriverName[] = [];
if (typeof loadBetterSqlite3() === 'function') drivers.push('better-sqlite3');
if (loadNodeSqlite() !== undefined) drivers.push('node:sqlite');

// The tier of a test is in its file name: `x.test.ts` unit, `x.int.test.ts` integration, `x.e2e.test.ts` end to end.
const ROOTS = ['packages/*/src', 'packages/*/tests', 'examples/*/src', 'examples/*/tests', 'tests'];
const named = (suffix: string) => ROOTS.map((root) => `${root}/**/*${suffix}`);
const SQLITE = 'packages/sqlite/**';
const INTEGRATION = '**/*.int.test.ts';
const E2E = '**/*.e2e.test.ts';
// The tests that install the packed tarballs into projects outside the repository: each spends minutes in npm and
// in compiling better-sqlite3, one core's work, so the two run beside each other, after the rest.
const PACKAGING = ['tests/packages.e2e.test.ts', 'tests/create-twofold.e2e.test.ts'];

/**
 * The tiers as projects (unit, integration, end to end), the SQLite package's tests once per driver, and the packaging
 * tests on their own.
 */
const projects: TestProjectInlineConfiguration[] = [
  {
    extends: true,
    test: { name: 'unit', include: named('.test.ts'), exclude: [...configDefaults.exclude, SQLITE, INTEGRATION, E2E] },
  },
  ...drivers.map(
    (driver): TestProjectInlineConfiguration => ({
      extends: true,
      test: {
        name: `sqlite (${driver})`,
        include: ['packages/sqlite/src/**/*.test.ts', 'packages/sqlite/tests/**/*.test.ts'],
        setupFiles: ['packages/sqlite/tests/prefer-driver.ts'],
        provide: { sqliteDriver: driver },
      },
    }),
  ),
  {
    extends: true,
    test: { name: 'integration', include: named('.int.test.ts'), exclude: [...configDefaults.exclude, SQLITE] },
  },
  {
    extends: true,
    test: { name: 'e2e', include: named('.e2e.test.ts'), exclude: [...configDefaults.exclude, SQLITE, ...PACKAGING] },
  },
  {
    extends: true,
    test: { name: 'packaging', include: PACKAGING, maxWorkers: 2, sequence: { groupOrder: 1 } },
  },
];

export default defineConfig({
  resolve: { conditions: ['@twofold/source'] },
  ssr: { resolve: { conditions: ['@twofold/source'] } },
  test: {
    projects,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
