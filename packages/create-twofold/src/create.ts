import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasNodeSqlite, manifest, packageName, TWOFOLD_PACKAGES } from './manifest.js';
import { UsageError } from './options.js';

const TEMPLATE = fileURLToPath(new URL('../template/', import.meta.url));

/** create-twofold's version, which is the version of the @twofold packages it writes apps for. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Where and how {@link create} writes an app. */
export interface CreateOptions {
  /** The app's directory, made if missing; it must be empty. */
  readonly directory: string;
  /** What a relative `directory` is relative to. Default: the working directory. */
  readonly cwd?: string;
  /**
   * A folder of @twofold tarballs (as `npm pack` names them) to depend on instead of the registry's: for testing
   * a local build of Twofold.
   */
  readonly packages?: string | undefined;
  /** The Node version the app is made for. Default: the running one. */
  readonly node?: string;
}

/** What {@link create} wrote. */
export interface Created {
  /** The app's directory, absolute. */
  readonly dir: string;
  /** Its package name. */
  readonly name: string;
}

/**
 * Writes a new app into an empty or new directory. Nothing is written when the directory holds anything, or when
 * a tarball of `packages` is missing.
 *
 * @example
 * await create({ directory: 'my-app' });
 */
export async function create(options: CreateOptions): Promise<Created> {
  const dir = resolve(options.cwd ?? process.cwd(), options.directory);
  const twofold = specifiers(options.packages);
  await refuseUnlessEmpty(dir, options.directory);
  const name = packageName(basename(dir));
  await mkdir(dir, { recursive: true });
  await cp(TEMPLATE, dir, { recursive: true });
  // npm leaves .gitignore files out of a package, so the template carries it under another name.
  await rename(join(dir, 'gitignore'), join(dir, '.gitignore'));
  const readme = join(dir, 'README.md');
  await writeFile(readme, (await readFile(readme, 'utf8')).replaceAll('{{name}}', name));
  const nodeSqlite = hasNodeSqlite(options.node ?? process.versions.node);
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest({ name, twofold, nodeSqlite }), null, 2)}\n`);
  return { dir, name };
}

async function refuseUnlessEmpty(dir: string, named: string): Promise<void> {
  const found = await stat(dir).catch(() => undefined);
  if (found === undefined) return;
  if (!found.isDirectory()) throw new UsageError(`${named} exists and is not a directory: choose another name.`);
  const entries = await readdir(dir);
  if (entries.length === 0) return;
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, and ${entries.length - 3} more` : '');
  throw new UsageError(
    `${named} is not empty (it holds ${shown}); nothing was written. Choose a new directory, or empty this one.`,
  );
}

// The registry's version of each package, or a tarball in `packages` named as `npm pack` names it.
function specifiers(packages: string | undefined): (pkg: (typeof TWOFOLD_PACKAGES)[number]) => string {
  if (packages === undefined || packages === '') return () => `^${VERSION}`;
  const folder = resolve(packages);
  const tarballs = new Map(
    TWOFOLD_PACKAGES.map((pkg) => [pkg, join(folder, `${pkg.slice(1).replace('/', '-')}-${VERSION}.tgz`)]),
  );
  const missing = [...tarballs.values()].filter((tarball) => !existsSync(tarball));
  if (missing.length > 0) throw new UsageError(`The @twofold tarballs are missing: ${missing.join(', ')}`);
  return (pkg) => `file:${tarballs.get(pkg)}`;
}
