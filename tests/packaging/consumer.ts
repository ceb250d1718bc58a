import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../readme.js';
import { type Pack, run, specifier } from './packs.js';

/** A project outside the repository with the packed tarballs installed by plain `npm install`. */
export interface Consumer {
  dir: string;
  /** How long `npm install` took, in milliseconds. */
  installMs: number;
  /** The installed packages with a `binding.gyp`: native code that `npm install` compiles with node-gyp. */
  compiled: string[];
}

const rootManifest = (await import('../../package.json', { with: { type: 'json' } })).default as {
  devDependencies: Record<string, string>;
};

// What a user adds beside Twofold: a schema library, Fastify for @twofold/http, Node's types for TypeScript,
// better-sqlite3 on a Node without node:sqlite,
// @types/pg for @twofold/postgres's declarations, and vitest and fast-check for @twofold/core/testing. The
// ranges are the repository's own, so the consumer runs what the repository tests with.
function registryDependencies(packs: Pack[]): Record<string, string> {
  const names = ['zod', 'fastify', '@types/node', '@types/pg', 'vitest', 'fast-check'];
  // @twofold/sqlite runs on node:sqlite where Node has it; before 22.13 a user installs better-sqlite3 with it.
  if (!hasNodeSqlite()) names.push('better-sqlite3');
  return Object.fromEntries(names.map((name) => [name, repositoryRange(packs, name)]));
}

/** The range the repository develops and tests `name` with: the root's, or a package's. */
export function repositoryRange(packs: Pack[], name: string): string {
  const range =
    rootManifest.devDependencies[name] ??
    packs
      .map((p) => (p.manifest as { devDependencies?: Record<string, string> }).devDependencies?.[name])
      .find(Boolean);
  if (!range) throw new Error(`no range for ${name} in the repository's manifests`);
  return range;
}

/** Whether the running Node has `node:sqlite` without a flag (22.13 and later), so the consumer needs no driver. */
export function hasNodeSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

/**
 * Makes a fresh project in a temp folder outside the repository and installs every tarball there with plain
 * `npm install`: no workspace, no custom condition. `--prefer-offline` takes registry packages from npm's cache
 * when it has them; better-sqlite3 still compiles from source, as it does for a user.
 */
export async function installConsumer(packs: Pack[]): Promise<Consumer> {
  const dir = await mkdtemp(join(tmpdir(), 'twofold-consumer-'));
  const dependencies = {
    ...Object.fromEntries(packs.map((p) => [p.manifest.name, `file:${p.tarball}`])),
    ...registryDependencies(packs),
  };
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'twofold-consumer', private: true, type: 'module', dependencies }, null, 2),
  );
  const started = performance.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`npm install failed in ${dir}:\n${error.stderr ?? ''}\n${error.stdout ?? String(error)}`);
  });
  const installMs = performance.now() - started;
  const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as { packages: object };
  const compiled = Object.keys(lock.packages)
    .filter((path) => path !== '' && existsSync(join(dir, path, 'binding.gyp')))
    .map((path) => path.replace(/^.*node_modules\//, ''));
  await mkdir(join(dir, 'src'));
  await copyFile(join(root, 'tests', 'packaging', 'consumer', 'app.ts'), join(dir, 'src', 'app.ts'));
  await writeFile(join(dir, 'src', 'entries.ts'), entriesModule(packs));
  await mkdir(join(dir, 'loose'));
  await writeFile(join(dir, 'loose', 'entries.ts'), looseModule(packs));
  return { dir, installMs, compiled };
}

/** Every `exports` entry of every package, as `import *` lines a consumer could write. */
export function entries(packs: Pack[]): string[] {
  return packs.flatMap((p) => Object.keys(p.manifest.exports ?? {}).map((subpath) => specifier(p.manifest, subpath)));
}

/**
 * Packages whose declarations import a library's that do not compile under `exactOptionalPropertyTypes`
 * (@nats-io's classes declare optional members their interfaces do not allow to be undefined). Their entries are
 * type-checked by a second configuration without that flag, and loaded by the entries module at run time only.
 */
const LOOSE_OPTIONAL = ['@twofold/nats'];
const isLoose = (name: string) => LOOSE_OPTIONAL.some((pkg) => name === pkg || name.startsWith(`${pkg}/`));

// Imports every entry and prints how many names each one exports, one line per entry.
function entriesModule(packs: Pack[]): string {
  const names = entries(packs);
  const imports = names.map((name, i) =>
    isLoose(name)
      ? `const entry${i}: object = await import(${JSON.stringify(name)} as string);`
      : `import * as entry${i} from '${name}';`,
  );
  const counts = names.map((name, i) => `console.log('${name}', Object.keys(entry${i}).length);`);
  return [...imports, ...counts, ''].join('\n');
}

// The entries of LOOSE_OPTIONAL packages, imported so that their declarations are type-checked.
function looseModule(packs: Pack[]): string {
  const names = entries(packs).filter(isLoose);
  return [
    ...names.map((name, i) => `import * as loose${i} from '${name}';`),
    `export const loose = [${names.map((_, i) => `loose${i}`).join(', ')}];`,
    '',
  ].join('\n');
}

const tsconfig = (module: 'NodeNext' | 'Bundler', loose = false) => ({
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    module: module === 'NodeNext' ? 'NodeNext' : 'ESNext',
    moduleResolution: module,
    strict: true,
    exactOptionalPropertyTypes: !loose,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    types: ['node'],
    rootDir: loose ? 'loose' : 'src',
    outDir: 'dist',
    ...(module === 'Bundler' || loose ? { noEmit: true } : {}),
  },
  include: [loose ? 'loose' : 'src'],
});

/**
 * Type-checks the consumer's code with the repository's TypeScript under the given module resolution, declarations
 * of every installed package included (no `skipLibCheck`), with `exactOptionalPropertyTypes`; then the entries of
 * the LOOSE_OPTIONAL packages without that flag. Under `NodeNext` it also emits the JavaScript that plain `node`
 * then runs.
 */
export async function typeCheck(consumer: Consumer, module: 'NodeNext' | 'Bundler'): Promise<void> {
  for (const loose of [false, true]) {
    const file = join(consumer.dir, `tsconfig.${module.toLowerCase()}${loose ? '.loose' : ''}.json`);
    await writeFile(file, JSON.stringify(tsconfig(module, loose), null, 2));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', file], { cwd: consumer.dir }).catch((error: { stdout?: string }) => {
      const what = loose ? `${module}, without exactOptionalPropertyTypes` : module;
      throw new Error(`The consumer does not type-check under ${what}:\n${error.stdout ?? String(error)}`);
    });
  }
}

/** Runs an emitted module of the consumer with plain `node` and returns its stdout. */
export async function runNode(consumer: Consumer, module: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(consumer.dir, 'dist', module), ...args], {
    cwd: consumer.dir,
    timeout: 60_000,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`node dist/${module} failed:\n${error.stderr ?? ''}\n${error.stdout ?? String(error)}`);
  });
  return stdout;
}
