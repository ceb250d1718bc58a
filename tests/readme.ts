import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The `lang` code blocks of the README section under `## heading`, in order. */
export async function readmeBlocks(heading: string, lang: string, file = join(root, 'README.md')): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no '## ${heading}' section`);
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] ?? '');
}

/**
 * Runs TypeScript source as a user would (tsx, workspace packages resolved like installed ones) from a file
 * inside the repository, so that `@twofold/*` and the schema libraries resolve, and returns its stdout.
 */
export async function runTypeScript(source: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const dir = await mkdtemp(join(root, 'tests', '.run-'));
  try {
    const file = join(dir, 'main.ts');
    await writeFile(file, source);
    // Type-check it too, with the project's strict settings, as a user's editor would.
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, files: ['main.ts'] }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 120_000 }).catch(
      (error: { stdout?: string }) => {
        throw new Error(`The code does not type-check:\n${error.stdout ?? String(error)}`);
      },
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@twofold/source', '--import', 'tsx', file],
      { cwd: dir, env: { ...process.env, ...env }, timeout: 60_000 },
    );
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
