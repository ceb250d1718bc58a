/** The @twofold packages a new app depends on; they share create-twofold's version. */
export const TWOFOLD_PACKAGES = ['@twofold/core', '@twofold/http', '@twofold/sqlite'] as const;

/** The ranges a new app asks of the registry for what it uses beside Twofold. */
export const RANGES = {
  zod: '^4.6.7',
  fastify: '^5.12.8',
  'better-sqlite3': '^12.11.1',
  '@types/node': '^20.19.43',
  typescript: '^6.0.3',
  vitest: '^4.1.12',
} as const;

/** What a new app's package.json is made from. */
export interface ManifestOptions {
  /** The package name, e.g. `my-app`. */
  readonly name: string;
  /** The npm specifier of each @twofold package: its version range, or a `file:` path to a tarball. */
  readonly twofold: (pkg: (typeof TWOFOLD_PACKAGES)[number]) => string;
  /** Whether the app runs on Node's built-in `node:sqlite`; without it, it depends on better-sqlite3. */
  readonly nodeSqlite: boolean;
}

/** The package.json of a new app: its scripts, and what it depends on. */
export function manifest({ name, twofold, nodeSqlite }: ManifestOptions): Record<string, unknown> {
  const dependencies: Record<string, string> = Object.fromEntries(TWOFOLD_PACKAGES.map((pkg) => [pkg, twofold(pkg)]));
  if (!nodeSqlite) dependencies['better-sqlite3'] = RANGES['better-sqlite3'];
  dependencies.fastify = RANGES.fastify;
  dependencies.zod = RANGES.zod;
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      prestart: 'tsc -p tsconfig.build.json',
      // exec: the shell becomes node, so that a SIGTERM sent to `npm start` reaches the app and closes it.
      start: 'exec node dist/main.js',
      test: 'tsc && vitest run',
    },
    dependencies: sorted(dependencies),
    devDependencies: { '@types/node': RANGES['@types/node'], typescript: RANGES.typescript, vitest: RANGES.vitest },
    // npm asks that a package's install script be allowed: better-sqlite3's builds its binary.
    ...(nodeSqlite ? {} : { allowScripts: { 'better-sqlite3': true } }),
  };
}

/**
 * Whether a Node version has `node:sqlite` without a flag (22.13 and later), as `@twofold/sqlite` uses it.
 *
 * @example
 * hasNodeSqlite('20.19.0'); // false
 */
export function hasNodeSqlite(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

/** A package name made of a directory's name: lower case, with `-` for what npm does not allow. */
export function packageName(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+/, '')
    .slice(0, 214);
  return name === '' ? 'twofold-app' : name;
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
