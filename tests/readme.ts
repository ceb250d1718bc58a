import { type ChildProcess, execFile, spawn } from 'node:child_process';
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

// Writes `source` to a file inside the repository, so that `@twofold/*` and the schema libraries resolve, and
// type-checks it with the project's strict settings, as a user's editor would.
async function typeChecked(source: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(root, 'tests', '.run-'));
  const file = join(dir, 'main.ts');
  await writeFile(file, source);
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true }, files: ['main.ts'] }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 120_000 }).catch(
    async (error: { stdout?: string }) => {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`The code does not type-check:\n${error.stdout ?? String(error)}`);
    },
  );
  return { dir, file };
}

const NODE_ARGS = ['--conditions=@twofold/source', '--import', 'tsx'];

/**
 * Runs TypeScript source as a user would (tsx, workspace packages resolved like installed ones) from a file
 * inside the repository, and returns its stdout.
 */
export async function runTypeScript(source: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { dir, file } = await typeChecked(source);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_ARGS, file], {
      cwd: dir,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A program started by {@link startTypeScript}: the process, what it printed so far, and when it ended. */
export interface Started {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended and its folder is removed. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts TypeScript source like {@link runTypeScript}, for a program that keeps running (a server), and resolves
 * once its output matches `ready`.
 */
export async function startTypeScript(source: string, ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const { dir, file } = await typeChecked(source);
  const child = spawn(process.execPath, [...NODE_ARGS, file], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve)).finally(() =>
    rm(dir, { recursive: true, force: true }),
  );
  await new Promise<void>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk;
      if (ready.test(output)) resolve();
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    void exited.then((code) => reject(new Error(`The program ended (${code}) before it was ready:\n${output}`)));
  });
  return { child, output: () => output, exited };
}
